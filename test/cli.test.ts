// The real command line, as an operator runs it: `authd serve` and `authd migrate` in a child process.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "..");
const tsx = path.join(root, "node_modules", ".bin", "tsx");
const dirs: string[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "authd-cli-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

function waitForListening(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk) => {
      out += chunk;
      const match = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    child.on("exit", (code) => reject(new Error(`exited with ${code}: ${out}`)));
  });
}

describe("the authd command", () => {
  it("serves on the embedded SQLite default and stops cleanly on SIGTERM", async () => {
    const dataDir = tempDir();
    const child = spawn(tsx, ["src/main.ts", "serve"], {
      cwd: root,
      env: { ...process.env, AUTHD_PORT: "0", AUTHD_DATA_DIR: dataDir },
    });
    const url = await waitForListening(child);
    const res = await fetch(`${url}/healthz`);
    expect(res.status).toBe(200);
    expect(fs.existsSync(path.join(dataDir, "authd.db"))).toBe(true);
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });

  it("applies migrations with `authd migrate` and exits", () => {
    const dataDir = tempDir();
    const result = spawnSync(tsx, ["src/main.ts", "migrate"], {
      cwd: root,
      env: { ...process.env, AUTHD_DATA_DIR: dataDir },
      encoding: "utf8",
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("migrations done");
    expect(fs.existsSync(path.join(dataDir, "authd.db"))).toBe(true);
  });

  it("refuses to start on a bad variable and names it", () => {
    const result = spawnSync(tsx, ["src/main.ts", "serve"], {
      cwd: root,
      env: { ...process.env, AUTHD_PORT: "not-a-port", AUTHD_DATA_DIR: tempDir() },
      encoding: "utf8",
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("AUTHD_PORT");
  });
});
