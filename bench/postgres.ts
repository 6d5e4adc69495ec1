// A throwaway PostgreSQL cluster for `npm run bench -- --postgres` (Debian's binaries in a temp
// folder, as test/global-postgres.ts does), or the database named by AUTHD_BENCH_DATABASE_URL.
// Each round gets a fresh database on it.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { freePort } from "./processes.js";

export interface Cluster {
  /** A new empty database on the cluster. */
  createDatabase(): Promise<string>;
  stop(): Promise<void>;
}

function findBinDir(): string {
  const base = "/usr/lib/postgresql";
  const versions = fs.existsSync(base) ? fs.readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
  const dir = versions
    .map((v) => path.join(base, v, "bin"))
    .find((d) => fs.existsSync(path.join(d, "initdb")));
  if (!dir) throw new Error("--postgres needs PostgreSQL installed, or AUTHD_BENCH_DATABASE_URL");
  return dir;
}

async function waitUntilReady(url: string, server: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (server.exitCode !== null) throw new Error(`postgres exited with ${server.exitCode}`);
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error("postgres did not start within 10 seconds");
}

export async function startCluster(): Promise<Cluster> {
  const given = process.env.AUTHD_BENCH_DATABASE_URL;
  let adminUrl: string;
  let server: ChildProcess | undefined;
  let dataDir: string | undefined;
  if (given) adminUrl = given;
  else {
    const binDir = findBinDir();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "authd-bench-pg-"));
    const asRoot = process.getuid?.() === 0;
    const ids = asRoot
      ? {
          uid: Number(execFileSync("id", ["-u", "postgres"]).toString().trim()),
          gid: Number(execFileSync("id", ["-g", "postgres"]).toString().trim()),
        }
      : {};
    if (asRoot) fs.chownSync(dataDir, ids.uid as number, ids.gid as number);
    execFileSync(path.join(binDir, "initdb"), ["-D", dataDir, "-U", "authd", "--auth=trust", "-E", "UTF8"], {
      ...ids,
      stdio: "pipe",
    });
    const port = await freePort();
    // Server defaults (fsync and synchronous_commit on): a commit is durable when answered.
    server = spawn(
      path.join(binDir, "postgres"),
      ["-D", dataDir, "-p", String(port), "-k", dataDir, "-c", "listen_addresses=127.0.0.1"],
      { ...ids, stdio: "ignore" },
    );
    adminUrl = `postgres://authd@127.0.0.1:${port}/postgres`;
    await waitUntilReady(adminUrl, server);
  }
  let n = 0;
  return {
    async createDatabase() {
      const name = `authd_bench_${process.pid}_${n++}`;
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return url.toString();
    },
    async stop() {
      if (server && server.exitCode === null) {
        const exited = new Promise((resolve) => server?.on("exit", resolve));
        server.kill("SIGINT");
        await exited;
      }
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
