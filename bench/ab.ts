// `npx tsx bench/ab.ts A_DIR B_DIR`: two builds of authd (each a copy of dist/, e.g. dist/ab/a and
// dist/ab/b, inside this package so their imports resolve) and the bare server, loaded in turn with
// short h2load bursts, many interleaved rounds, order alternating. Each burst gives requests per
// CPU-second of the server loaded; the medians over the rounds compare the builds (B ÷ A) and each
// with the bare server (the benchmark's `per core` ratio). Meant for a shared machine, where whole
// benchmark runs minutes apart measure the other load more than the change.
//   --rounds N (default 8)   --seconds N per burst (default 2)   --only health,validate,user
import fs from "node:fs";
import http2 from "node:http2";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import argon2 from "argon2";
import { fixedLoad, hasH2load } from "./load.js";
import { collect, cpuSeconds, firstLine, freePort, spawnNode, spawnTs, stop } from "./processes.js";
import { BENCH_PASSWORD, benchEmail, seedAccounts } from "./seed.js";

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: "string" }, seconds: { type: "string" }, only: { type: "string" } },
});
const [dirA, dirB] = positionals.map((p) => path.resolve(p));
if (!dirA || !dirB) throw new Error("usage: tsx bench/ab.ts A_DIR B_DIR (copies of dist/)");
if (!hasH2load) throw new Error("bench/ab.ts needs h2load (Debian's nghttp2-client)");
const rounds = Number(flags.rounds ?? 8);
const seconds = Number(flags.seconds ?? 2);
const calls = (flags.only ?? "health,validate,user").split(",");

async function post(url: string, p: string, body: unknown): Promise<Record<string, unknown>> {
  const session = http2.connect(url);
  try {
    return await new Promise((resolve, reject) => {
      session.on("error", reject);
      const stream = session.request({ ":method": "POST", ":path": p, "content-type": "application/json" });
      let text = "";
      stream.on("data", (c: Buffer) => {
        text += c.toString();
      });
      stream.on("end", () => {
        try {
          resolve(JSON.parse(text));
        } catch (error) {
          reject(error);
        }
      });
      stream.on("error", reject);
      stream.end(JSON.stringify(body));
    });
  } finally {
    session.close();
  }
}

async function startAuthd(dist: string, hash: string) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "authd-ab-"));
  const url = `sqlite:${path.join(dataDir, "authd.db")}`;
  const port = await freePort();
  const env = {
    AUTHD_DATA_DIR: dataDir,
    AUTHD_DATABASE_URL: url,
    AUTHD_PORT: String(port),
    AUTHD_HOST: "127.0.0.1",
    AUTHD_SECRET: "bench-master-secret-bench-master-secret-0123",
    AUTHD_LOG_LEVEL: "info",
    MALLOC_ARENA_MAX: "1",
  };
  const main = path.join(dist, "src/authd.cjs");
  await collect(spawnNode(main, ["migrate"], env));
  await seedAccounts(url, 10, hash);
  const child = spawnNode(main, ["serve"], env, [], { discardStdout: true });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      await post(base, "/grpc.health.v1.Health/Check", {});
      break;
    } catch (error) {
      if (i > 300 || child.exitCode !== null) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const login = await post(base, "/authd.v1.AuthService/Login", {
    identifier: benchEmail(1),
    password: BENCH_PASSWORD,
  });
  const accessToken = (login.tokens as { accessToken?: string } | undefined)?.accessToken;
  if (!accessToken) throw new Error(`login answered ${JSON.stringify(login)}`);
  return { child, base, accessToken, dataDir };
}

/** Requests per CPU-second of the server process during one burst. */
async function burst(pid: number, url: string, call: string, accessToken: string): Promise<number> {
  const load = { url, connections: 16, streams: 8, seconds, warmup: 1 };
  const before = cpuSeconds(pid);
  const started = performance.now();
  const m =
    call === "health"
      ? await fixedLoad({ ...load, path: "/grpc.health.v1.Health/Check", body: "{}" })
      : call === "validate"
        ? await fixedLoad({
            ...load,
            path: "/authd.v1.SessionService/ValidateToken",
            body: JSON.stringify({ token: accessToken }),
          })
        : await fixedLoad({
            ...load,
            path: "/authd.v1.AuthService/GetCurrentUser",
            body: "{}",
            headers: { authorization: `Bearer ${accessToken}` },
          });
  const wall = (performance.now() - started) / 1000;
  if (m.errors > 0) throw new Error(`${call}: ${m.errors} errors`);
  // As the benchmark computes it: the measured rate over the server's cores during the burst.
  return m.rps / ((cpuSeconds(pid) - before) / wall);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

const hash = await argon2.hash(BENCH_PASSWORD, { type: argon2.argon2id, memoryCost: 19456, timeCost: 2 });
const a = await startAuthd(dirA, hash);
const b = await startAuthd(dirB, hash);
const bare = spawnTs(path.join(import.meta.dirname, "bare-server.ts"), []);
const bareUrl = `http://127.0.0.1:${Number(await firstLine(bare))}`;
const samples = new Map<string, number[]>();
const record = (key: string, value: number) => samples.set(key, [...(samples.get(key) ?? []), value]);
try {
  console.log(`load average at start: ${os.loadavg()[0]?.toFixed(2)}`);
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? [a, b] : [b, a];
    for (const call of calls) {
      record("bare", await burst(bare.pid as number, bareUrl, "health", ""));
      for (const target of order) {
        record(
          `${target === a ? "A" : "B"} ${call}`,
          await burst(target.child.pid as number, target.base, call, target.accessToken),
        );
      }
    }
    process.stdout.write(`round ${round + 1}/${rounds} done\n`);
  }
  const bareMedian = median(samples.get("bare") ?? []);
  console.log(`load average at end: ${os.loadavg()[0]?.toFixed(2)}`);
  console.log(`bare Health/Check: ${bareMedian.toFixed(0)} req per CPU-second (median)`);
  console.log("| call | A req/CPU-s | B req/CPU-s | B ÷ A | A per core ÷ bare | B per core ÷ bare |");
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const call of calls) {
    const ma = median(samples.get(`A ${call}`) ?? []);
    const mb = median(samples.get(`B ${call}`) ?? []);
    console.log(
      `| ${call} | ${ma.toFixed(0)} | ${mb.toFixed(0)} | ${(mb / ma).toFixed(3)} | ${(ma / bareMedian).toFixed(2)} | ${(mb / bareMedian).toFixed(2)} |`,
    );
  }
} finally {
  await Promise.all([stop(a.child), stop(b.child), stop(bare)]);
  for (const dir of [a.dataDir, b.dataDir]) fs.rmSync(dir, { recursive: true, force: true });
}
