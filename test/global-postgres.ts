// Vitest global setup: a throwaway PostgreSQL cluster for the tests that run authd on PostgreSQL.
// Uses AUTHD_TEST_DATABASE_URL when set; otherwise starts Debian's postgres binaries in a temp
// folder (as the postgres user when running as root, since postgres refuses root).
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
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

function findBinDir(): string | undefined {
  const candidates: string[] = [];
  const base = "/usr/lib/postgresql";
  if (fs.existsSync(base)) {
    for (const version of fs.readdirSync(base).sort((a, b) => Number(b) - Number(a))) {
      candidates.push(path.join(base, version, "bin"));
    }
  }
  return candidates.find((dir) => fs.existsSync(path.join(dir, "initdb")));
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

let postgres: ChildProcess | undefined;
let dataDir: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  const given = process.env.AUTHD_TEST_DATABASE_URL;
  if (given) {
    project.provide("postgresUrl", given);
    return;
  }
  const binDir = findBinDir();
  if (!binDir) {
    throw new Error(
      "PostgreSQL is needed for the PostgreSQL tests: install it (apt-get install postgresql) or set AUTHD_TEST_DATABASE_URL",
    );
  }
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "authd-pg-"));
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
  postgres = spawn(
    path.join(binDir, "postgres"),
    [
      "-D",
      dataDir,
      "-p",
      String(port),
      "-k",
      dataDir,
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "fsync=off",
      "-c",
      "max_connections=200",
    ],
    { ...ids, stdio: "ignore" },
  );
  const url = `postgres://authd@127.0.0.1:${port}/postgres`;
  await waitUntilReady(url, postgres);
  project.provide("postgresUrl", url);
}

export async function teardown(): Promise<void> {
  if (postgres && postgres.exitCode === null) {
    const exited = new Promise((resolve) => postgres?.on("exit", resolve));
    postgres.kill("SIGINT");
    await exited;
  }
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
}
