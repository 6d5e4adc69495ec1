// The baseline for Login: raw argon2id verifications with authd's parameters, `concurrency` in flight,
// on the libuv pool like authd (the argon2 package runs each hash on a pool thread). Runs in its own
// process so it competes for the cores exactly as authd would. Prints a JSON result on stdout.
import argon2 from "argon2";

const [memoryKib, iterations, parallelism, concurrency, seconds, warmup] = process.argv.slice(2).map(Number);
const password = "bench passphrase of quiet rivers";

async function main() {
  const hash = await argon2.hash(password, {
    type: argon2.argon2id,
    memoryCost: memoryKib,
    timeCost: iterations,
    parallelism,
  });
  const latencies: number[] = [];
  const warmupEnds = performance.now() + (warmup ?? 0) * 1000;
  const ends = warmupEnds + (seconds ?? 5) * 1000;
  let counted = 0;
  let cpuAtStart = process.cpuUsage();
  setTimeout(
    () => {
      cpuAtStart = process.cpuUsage();
    },
    (warmup ?? 0) * 1000,
  ).unref();
  let firstCounted = 0;
  const loop = async () => {
    for (;;) {
      const started = performance.now();
      if (started >= ends) return;
      if (!(await argon2.verify(hash, password))) throw new Error("verify failed");
      const done = performance.now();
      if (started >= warmupEnds) {
        if (counted === 0) firstCounted = started;
        counted++;
        latencies.push((done - started) * 1000);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency ?? 8 }, loop));
  const elapsed = (performance.now() - Math.max(firstCounted, warmupEnds)) / 1000;
  const used = process.cpuUsage(cpuAtStart);
  const cpu = (used.user + used.system) / 1e6;
  process.stdout.write(
    `${JSON.stringify({ count: counted, errors: 0, seconds: elapsed, cpu, latencies })}\n`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
