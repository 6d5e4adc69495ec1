// `npm run bench`: authd against a bare connect-node server, loaded from outside, in one run.
// See bench/README.md for what each line means. Flags:
//   --quick              short phases (a smoke run, about a minute)
//   --accounts 10000     accounts seeded before the run; a list (10000,1000000) compares sizes
//   --postgres           PostgreSQL (a throwaway cluster, or AUTHD_BENCH_DATABASE_URL) instead of SQLite
//   --seconds N          measured seconds per phase (default 10; --quick 3)
//   --only a,b           run only these phases (health, validate, user, refresh, login, register)
//   --profile DIR        run authd under `node --cpu-prof` and keep its profiles in DIR
//   --node-flags "..."   extra Node flags for authd (e.g. "--max-semi-space-size=4")
import { spawn } from "node:child_process";
import fs from "node:fs";
import http2 from "node:http2";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import argon2 from "argon2";
import { fixedLoad, hasH2load, type Measurement, nodeLoad, summarize } from "./load.js";
import { type Cluster, startCluster } from "./postgres.js";
import {
  collect,
  cpuSeconds,
  firstLine,
  freePort,
  peakRssMiB,
  spawnNode,
  spawnTs,
  stop,
} from "./processes.js";
import { formatReport, type Row, type RunInfo } from "./report.js";
import { BENCH_PASSWORD, benchEmail, seedAccounts } from "./seed.js";

const root = path.resolve(import.meta.dirname, "..");
const { values: flags } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    accounts: { type: "string", default: "10000" },
    postgres: { type: "boolean", default: false },
    seconds: { type: "string" },
    only: { type: "string" },
    profile: { type: "string" },
    "node-flags": { type: "string" },
  },
});
const seconds = Number(flags.seconds ?? (flags.quick ? 3 : 10));
const warmup = flags.quick ? 1 : 2;
const accountCounts = (flags.accounts ?? "10000").split(",").map((s) => Number(s.replaceAll("_", "")));
const phases = new Set(
  (flags.only ?? "health,validate,user,refresh,login,register").split(",").map((s) => s.trim()),
);
// authd's defaults; the argon2 baseline uses the same.
const ARGON2 = { memoryKib: 19456, iterations: 2, parallelism: 1 };
const LOGIN_IN_FLIGHT = 8;

async function rpc(url: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  const session = http2.connect(url);
  try {
    return await new Promise<Record<string, unknown>>((resolve, reject) => {
      session.on("error", reject);
      const stream = session.request({
        ":method": "POST",
        ":path": path,
        "content-type": "application/json",
        ...headers,
      });
      let status = 0;
      let text = "";
      stream.on("response", (h) => {
        status = Number(h[":status"]);
      });
      stream.on("data", (c: Buffer) => {
        text += c.toString();
      });
      stream.on("end", () =>
        status === 200 ? resolve(JSON.parse(text)) : reject(new Error(`${path}: ${status} ${text}`)),
      );
      stream.on("error", reject);
      stream.end(JSON.stringify(body));
    });
  } finally {
    session.close();
  }
}

async function waitForHealth(url: string, child: { exitCode: number | null }) {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`authd exited with ${child.exitCode}`);
    try {
      await rpc(url, "/grpc.health.v1.Health/Check", {});
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error("authd did not answer Health/Check within 30 s");
}

async function login(url: string, n: number) {
  const reply = (await rpc(url, "/authd.v1.AuthService/Login", {
    identifier: benchEmail(n),
    password: BENCH_PASSWORD,
  })) as { tokens?: { accessToken: string; refreshToken: string } };
  if (!reply.tokens) throw new Error(`login of ${benchEmail(n)} answered no tokens`);
  return reply.tokens;
}

/** Measures `work` while watching the server's CPU. */
async function measured(pid: number | undefined, work: () => Promise<Measurement>) {
  const cpuBefore = pid ? cpuSeconds(pid) : 0;
  const started = performance.now();
  const m = await work();
  const wall = (performance.now() - started) / 1000;
  const serverCores = pid ? (cpuSeconds(pid) - cpuBefore) / wall : Number.NaN;
  return { ...m, serverCores };
}

type Baseline = () => Promise<Row>;

async function runAuthd(
  databaseUrl: string,
  accounts: number,
  baselines: { bare: Baseline; argon2: Baseline },
) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "authd-bench-"));
  const url = databaseUrl || `sqlite:${path.join(dataDir, "authd.db")}`;
  const port = await freePort();
  const env = {
    AUTHD_DATA_DIR: dataDir,
    AUTHD_DATABASE_URL: url,
    AUTHD_PORT: String(port),
    AUTHD_HOST: "127.0.0.1",
    AUTHD_SECRET: "bench-master-secret-bench-master-secret-0123",
    AUTHD_REGISTRATIONS_PER_IP: "100000",
    AUTHD_EMAILS_PER_IP: "100000",
    AUTHD_LOGIN_MAX_FAILURES_PER_IP: "100000",
    AUTHD_LOG_LEVEL: "info",
    // As `npm start` sets it (package.json): one malloc arena, so argon2's 19 MiB buffers are reused
    // across the pool's threads instead of one being kept per thread (docs/performance.md).
    MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? "1",
  };
  // authd as `npm start` runs it: the compiled JavaScript in dist/ (built when the run starts).
  const main = path.join(root, "dist/src/authd.cjs");
  await collect(spawnNode(main, ["migrate"], env));
  const seedStarted = performance.now();
  const hash = await argon2.hash(BENCH_PASSWORD, {
    type: argon2.argon2id,
    memoryCost: ARGON2.memoryKib,
    timeCost: ARGON2.iterations,
    parallelism: ARGON2.parallelism,
  });
  await seedAccounts(url, accounts, hash);
  console.log(
    `  seeded ${accounts.toLocaleString("en")} accounts in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`,
  );

  const profileFlags = flags.profile ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(flags.profile)}`] : [];
  const extraFlags = flags["node-flags"]?.split(" ").filter((f) => f !== "") ?? [];
  const authd = spawnNode(main, ["serve"], env, [...profileFlags, ...extraFlags], { discardStdout: true });
  let stderr = "";
  authd.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const base = `http://127.0.0.1:${port}`;
  const rows: Row[] = [];
  try {
    await waitForHealth(base, authd);
    const pid = authd.pid;
    const tokens = await login(base, 1);
    const bearer = { authorization: `Bearer ${tokens.accessToken}` };
    const h2 = { url: base, connections: 16, streams: 8, seconds, warmup };
    const add = (name: string, m: Measurement & { serverCores: number }, baseline?: Row) => {
      if (baseline) rows.push({ ...baseline, accounts });
      rows.push({
        name,
        accounts,
        ...m,
        baseline: baseline?.name,
        ratio: baseline ? m.rps / baseline.rps : undefined,
        ratioPerCore: baseline ? m.rps / m.serverCores / (baseline.rps / baseline.serverCores) : undefined,
      });
      console.log(
        `  ${name.padEnd(16)} ${m.rps.toFixed(0).padStart(7)} req/s  p50 ${m.p50Ms.toFixed(2)} ms  p99 ${m.p99Ms.toFixed(2)} ms  errors ${m.errors}`,
      );
    };
    // Each baseline is measured right before the call compared with it: other load on the machine
    // changes over a run, and a ratio of two figures taken minutes apart would measure that too.
    if (phases.has("health")) {
      add(
        "Health/Check",
        await measured(pid, () => fixedLoad({ ...h2, path: "/grpc.health.v1.Health/Check", body: "{}" })),
        await baselines.bare(),
      );
    }
    if (phases.has("validate")) {
      const body = JSON.stringify({ token: tokens.accessToken });
      add(
        "ValidateToken",
        await measured(pid, () => fixedLoad({ ...h2, path: "/authd.v1.SessionService/ValidateToken", body })),
        await baselines.bare(),
      );
    }
    if (phases.has("user")) {
      add(
        "GetCurrentUser",
        await measured(pid, () =>
          fixedLoad({ ...h2, path: "/authd.v1.AuthService/GetCurrentUser", body: "{}", headers: bearer }),
        ),
        await baselines.bare(),
      );
    }
    if (phases.has("refresh")) {
      // 32 sessions of 32 accounts, each rotating its own refresh token: 4 connections x 8 loops.
      const sessions: string[] = [];
      for (let i = 0; i < 32; i += 8) {
        const batch = await Promise.all(Array.from({ length: 8 }, (_, j) => login(base, 2 + i + j)));
        sessions.push(...batch.map((t) => t.refreshToken));
      }
      add(
        "Refresh",
        await measured(pid, () =>
          nodeLoad({
            url: base,
            scenario: "refresh",
            refreshTokens: sessions,
            connections: 4,
            streams: 8,
            seconds,
            warmup,
          }),
        ),
      );
    }
    if (phases.has("login")) {
      const body = JSON.stringify({
        identifier: benchEmail(Math.max(1, Math.floor(accounts / 2))),
        password: BENCH_PASSWORD,
      });
      add(
        "Login",
        await measured(pid, () =>
          fixedLoad({
            ...h2,
            connections: LOGIN_IN_FLIGHT,
            streams: 1,
            path: "/authd.v1.AuthService/Login",
            body,
          }),
        ),
        await baselines.argon2(),
      );
    }
    if (phases.has("register")) {
      add(
        "Register",
        await measured(pid, () =>
          nodeLoad({ url: base, scenario: "register", connections: 2, streams: 4, seconds, warmup }),
        ),
      );
    }
    const rss = pid ? peakRssMiB(pid) : Number.NaN;
    for (const row of rows) if (!row.reference) row.peakRssMiB = rss;
    console.log(`  authd peak RSS (VmHWM) ${rss.toFixed(0)} MiB`);
  } finally {
    await stop(authd);
    if (authd.exitCode !== 0 && stderr) console.error(stderr.slice(-2000));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return rows;
}

async function main() {
  const cpu = os.cpus();
  const info: RunInfo = {
    date: new Date().toISOString(),
    machine: `${cpu[0]?.model ?? "?"} x${cpu.length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`,
    command: `npm run bench -- ${process.argv.slice(2).join(" ")}`.trim(),
    database: flags.postgres ? "PostgreSQL" : "SQLite",
    loader: hasH2load ? "h2load (16 connections x 8 streams)" : "Node HTTP/2 generator, 2 worker processes",
    argon2: `argon2id m=${ARGON2.memoryKib} KiB t=${ARGON2.iterations} p=${ARGON2.parallelism}, ${LOGIN_IN_FLIGHT} in flight`,
    load: os.loadavg()[0] ?? 0,
  };
  console.log(
    `authd benchmark: ${info.machine}; ${info.database}; load from ${info.loader}; load average ${info.load.toFixed(2)}`,
  );

  console.log("building dist/ (npm run build:server)");
  await collect(spawn("npm", ["run", "build:server"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] }));

  // Baselines, measured in this run: the bare server and raw argon2id.
  const bareServer = spawnTs(path.join(import.meta.dirname, "bare-server.ts"), []);
  const barePort = Number(await firstLine(bareServer));
  const bareUrl = `http://127.0.0.1:${barePort}`;
  const bare: Baseline = async () => {
    const m = await measured(bareServer.pid, () =>
      fixedLoad({
        url: bareUrl,
        path: "/grpc.health.v1.Health/Check",
        body: "{}",
        connections: 16,
        streams: 8,
        seconds,
        warmup,
      }),
    );
    console.log(`  (bare Health/Check ${m.rps.toFixed(0)} req/s)`);
    return {
      name: "bare Health/Check",
      accounts: 0,
      reference: true,
      ...m,
      peakRssMiB: peakRssMiB(bareServer.pid ?? 0),
    };
  };
  const argon2Verify: Baseline = async () => {
    const child = spawnTs(path.join(import.meta.dirname, "argon2-baseline.ts"), [
      ...[ARGON2.memoryKib, ARGON2.iterations, ARGON2.parallelism, LOGIN_IN_FLIGHT, seconds, warmup].map(
        String,
      ),
    ]);
    const r = JSON.parse((await collect(child)).trim()) as {
      count: number;
      errors: number;
      seconds: number;
      cpu: number;
      latencies: number[];
    };
    // Its own CPU is the "server" CPU here: the pool threads doing the hashing.
    const m = {
      ...summarize(r.latencies, r.count, r.errors, r.seconds, 0, "in process"),
      serverCores: r.cpu / r.seconds,
    };
    console.log(`  (argon2id verify ${m.rps.toFixed(1)} /s)`);
    return { name: "argon2id verify", accounts: 0, reference: true, ...m };
  };

  let cluster: Cluster | undefined;
  const rows: Row[] = [];
  try {
    if (flags.postgres) cluster = await startCluster();
    for (const accounts of accountCounts) {
      console.log(`authd with ${accounts.toLocaleString("en")} accounts`);
      const databaseUrl = cluster ? await cluster.createDatabase() : "";
      rows.push(...(await runAuthd(databaseUrl, accounts, { bare, argon2: argon2Verify })));
    }
  } finally {
    await stop(bareServer);
    await cluster?.stop();
  }

  const report = formatReport(info, rows, accountCounts);
  console.log(`\n${report}`);
  const dir = path.join(import.meta.dirname, "results");
  fs.mkdirSync(dir, { recursive: true });
  const stamp = info.date.replace(/[:]/g, "-").replace(/\..*/, "");
  const name = `${stamp}-${info.database.toLowerCase()}${flags.quick ? "-quick" : ""}`;
  fs.writeFileSync(path.join(dir, `${name}.md`), `${report}\n`);
  fs.writeFileSync(path.join(dir, `${name}.json`), `${JSON.stringify({ info, rows }, null, 2)}\n`);
  console.log(`written to bench/results/${name}.md`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
