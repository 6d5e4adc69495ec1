// The real command line, as an operator runs it: `authd serve` and `authd migrate` in a child process.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus } from "../../../gen/grpc/health/v1/health_pb.js";

const root = path.resolve(import.meta.dirname, "../../..");
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

/** The processes under `pid`: its children, theirs, and so on (from `ps`, on Linux and macOS). */
function descendants(pid: number): number[] {
  const table = spawnSync("ps", ["-e", "-o", "pid=,ppid="], { encoding: "utf8" }).stdout;
  const children = new Map<number, number[]>();
  for (const line of table.trim().split("\n")) {
    const [child, parent] = line.trim().split(/\s+/).map(Number);
    if (child === undefined || parent === undefined) continue;
    children.set(parent, [...(children.get(parent) ?? []), child]);
  }
  const found: number[] = [];
  const visit = (p: number) => {
    for (const c of children.get(p) ?? []) {
      found.push(c);
      visit(c);
    }
  };
  visit(pid);
  return found;
}

/** Whether a process still runs (a zombie, dead but not yet reaped, does not count). */
function running(pid: number): boolean {
  const state = spawnSync("ps", ["-o", "stat=", "-p", String(pid)], { encoding: "utf8" }).stdout.trim();
  return state !== "" && !state.startsWith("Z");
}

/** Answers once a TCP connection to the port is refused (nothing listens), or false after `ms`. */
async function refusesConnections(port: number, ms = 2000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(false);
      });
      socket.once("error", () => resolve(true));
    });
    if (refused) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/**
 * Stops `npm start` as a supervisor would (SIGTERM to npm), then kills whatever it leaves running (so
 * a failing run leaks no server): answers npm's exit code and the processes that outlived it.
 */
async function stopNpmStart(child: ChildProcess): Promise<{ code: number | null; survivors: number[] }> {
  const tree = descendants(child.pid ?? 0);
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  child.kill("SIGTERM");
  const code = await exited;
  const survivors = tree.filter(running);
  for (const pid of survivors) process.kill(pid, "SIGKILL");
  return { code, survivors };
}

/** Runs `authd ARGS` from the source (tsx) with its own data folder; gives up after 20 s. */
function authd(args: string[], env: Record<string, string> = {}) {
  const dataDir = tempDir();
  const result = spawnSync(tsx, ["src/main.ts", ...args], {
    cwd: root,
    env: { ...process.env, AUTHD_DATA_DIR: dataDir, AUTHD_LOG_FORMAT: "json", ...env },
    encoding: "utf8",
    timeout: 20_000,
  });
  return { ...result, dataDir };
}

describe("the authd command", () => {
  it("serves on the embedded SQLite default, prints each address once, and stops cleanly on SIGTERM", async () => {
    const dataDir = tempDir();
    const child = spawn(tsx, ["src/main.ts", "serve"], {
      cwd: root,
      env: { ...process.env, AUTHD_PORT: "0", AUTHD_DATA_DIR: dataDir, AUTHD_METRICS_ADDR: "127.0.0.1:0" },
    });
    let out = "";
    child.stdout?.on("data", (chunk) => {
      out += chunk;
    });
    const url = await waitForListening(child);
    const res = await fetch(`${url}/healthz`);
    expect(res.status).toBe(200);
    expect(fs.existsSync(path.join(dataDir, "authd.db"))).toBe(true);
    // The metrics listener's address is the last of the start-up lines.
    await expect.poll(() => out).toMatch(/metrics: (http:\/\/127\.0\.0\.1:\d+\/metrics)/);
    const metricsUrl = /metrics: (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(out)?.[1] ?? "";
    expect(out.split(metricsUrl).length - 1, out).toBe(1);
    expect(out.split(`health check: ${url}/healthz`).length - 1, out).toBe(1);
    // AUTHD_PUBLIC_URL is not set: the app is at the port AUTHD_PORT=0 picked, under both loopback
    // names, and the JWKS address the OpenID configuration gives is there too.
    const { port } = new URL(url);
    expect(out).toContain(`account app: http://localhost:${port}/ (also http://127.0.0.1:${port}/)`);
    const discovery = (await (await fetch(`${url}/.well-known/openid-configuration`)).json()) as {
      jwks_uri: string;
    };
    expect(discovery.jwks_uri).toBe(`http://localhost:${port}/.well-known/jwks.json`);
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

  it("names every bad variable in one start, one line each", () => {
    const result = authd(["serve"], {
      AUTHD_PORT: "not-a-port",
      AUTHD_LOG_LEVEL: "loud",
      AUTHD_SECRET: "short",
    });
    expect(result.status).toBe(78);
    const lines = result.stderr.trim().split("\n");
    for (const name of ["AUTHD_PORT", "AUTHD_LOG_LEVEL", "AUTHD_SECRET"]) {
      expect(
        lines.filter((line) => line.includes(`${name}:`)),
        result.stderr,
      ).toHaveLength(1);
    }
    expect(fs.readdirSync(result.dataDir)).toEqual([]);
  });

  it("warns about each unknown AUTHD_ variable, with the closest known name, and still starts", () => {
    const result = authd(["migrate"], { AUTHD_PORTT: "9090", AUTHD_LOGLEVEL: "debug" });
    expect(result.status, result.stderr).toBe(0);
    const warnings = result.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { level: number; msg: string })
      .filter((line) => line.level === 40)
      .map((line) => line.msg);
    expect(warnings).toEqual([
      "AUTHD_LOGLEVEL is not an authd variable and is ignored: did you mean AUTHD_LOG_LEVEL?",
      "AUTHD_PORTT is not an authd variable and is ignored: did you mean AUTHD_PORT?",
    ]);
  });

  it("prints its version with --version or -v, and nothing else runs", () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as {
      version: string;
    };
    for (const flag of ["--version", "-v"]) {
      const result = authd([flag]);
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toBe(`authd ${version}\n`);
      expect(fs.readdirSync(result.dataDir)).toEqual([]);
    }
  });

  it.each([
    [["serve", "--help"], "usage: authd serve\n"],
    [["migrate", "-h"], "usage: authd migrate\n"],
    [["keys", "--help"], "usage: authd keys rotate\n       authd keys retire [--kid KID]\n"],
    [["keys", "retire", "--help"], "usage: authd keys retire [--kid KID]\n"],
    [["admin", "--help"], "usage: authd admin create --email EMAIL [--tenant SLUG] [--operator]\n"],
    [["help", "admin", "create"], "usage: authd admin create --email EMAIL [--tenant SLUG] [--operator]\n"],
  ])("`authd %j` prints that command's help and runs nothing", (args, usage) => {
    const result = authd(args);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.startsWith(usage), result.stdout).toBe(true);
    expect(result.stderr).toBe("");
    // Nothing ran: no database, no listener.
    expect(fs.readdirSync(result.dataDir)).toEqual([]);
  });

  it("lists every command in its usage, with only the required options unbracketed", () => {
    const result = authd(["--help"]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^usage: authd \[COMMAND\]/);
    for (const command of [
      "serve",
      "migrate",
      "keys rotate",
      "keys retire [--kid KID]",
      "admin create --email EMAIL [--tenant SLUG] [--operator]",
      "help [COMMAND]",
    ]) {
      expect(result.stdout).toContain(`  ${command}`);
    }
    expect(result.stdout).toContain("--version");
  });

  it("refuses an unknown command or option with exit code 2 and the usage on stderr", () => {
    const unknown = authd(["frobnicate"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^authd: unknown command "frobnicate"\n/);
    expect(unknown.stderr).toContain("usage: authd");
    const badOption = authd(["admin", "create", "--email", "a@example.com", "--tenat", "acme"]);
    expect(badOption.status).toBe(2);
    expect(badOption.stderr).toContain("--tenat");
    expect(badOption.stderr).toContain("usage: authd admin create");
    const missing = authd(["admin", "create", "--tenant", "acme"]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("--email is required");
    expect(fs.readdirSync(missing.dataDir)).toEqual([]);
  });
});

// Production runs the compiled JavaScript: `npm run build:server` writes dist/, `npm start` runs it,
// and the packed tarball installs an `authd` command. Building and installing take a while, so the
// steps share one build and one install.
describe("the compiled authd", () => {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  beforeAll(() => {
    const build = spawnSync(npm, ["run", "build:server"], { cwd: root, encoding: "utf8" });
    expect(build.status, build.stderr).toBe(0);
  }, 180_000);

  it("starts with `npm start` without any npm warning and answers the gRPC health check", async () => {
    const child = spawn(npm, ["start"], {
      cwd: root,
      env: {
        ...process.env,
        AUTHD_PORT: "0",
        AUTHD_DATA_DIR: tempDir(),
        AUTHD_PUBLIC_URL: "https://auth.example.com/",
      },
    });
    let stderr = "";
    child.stderr?.on("data", (chunk) => {
      stderr += chunk;
    });
    const lines: string[] = [];
    child.stdout?.on("data", (chunk: Buffer) => lines.push(...chunk.toString().split("\n")));
    const url = await waitForListening(child);
    try {
      const health = createClient(Health, createGrpcTransport({ baseUrl: url }));
      const res = await health.check({});
      expect(res.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
      // Where to go next, one line each, with the real port.
      await expect.poll(() => lines.join("\n")).toContain(`health check: ${url}/healthz`);
      const out = lines.join("\n");
      // The app at the public address, the only origin its session cookies are accepted from.
      expect(out).toContain("account app: https://auth.example.com/");
      expect(out).toContain(`JWKS: ${url}/.well-known/jwks.json`);
      // The server runs from dist/, not through a TypeScript loader.
      expect(out).toContain("node dist/src/authd.cjs serve");
    } finally {
      expect(await stopNpmStart(child)).toEqual({ code: 0, survivors: [] });
    }
    expect(stderr).not.toMatch(/npm warn/i);
  });

  // A container runtime or a process supervisor signals exactly the process it started (`CMD
  // ["npm","start"]`), a terminal's Ctrl-C the whole foreground process group: both must reach the
  // server, which drains as it does on a direct signal. The request in flight has had its headers
  // read (the server answered 100 Continue) and sends its body only once shutdown has begun.
  it.each([
    { how: "SIGTERM to npm alone (a container stop, a supervisor)", group: false, signal: "SIGTERM" },
    { how: "Ctrl-C (SIGINT to npm's process group)", group: true, signal: "SIGINT" },
  ] as const)(
    "`npm start` stopped by $how finishes the request in flight, exits 0 and leaves no process behind",
    async ({ group, signal }) => {
      const child = spawn(npm, ["start"], {
        cwd: root,
        detached: group,
        env: { ...process.env, AUTHD_PORT: "0", AUTHD_DATA_DIR: tempDir() },
      });
      let out = "";
      child.stdout?.on("data", (chunk) => {
        out += chunk;
      });
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      const url = await waitForListening(child);
      const port = Number(new URL(url).port);
      const tree = descendants(child.pid ?? 0);
      let request: http.ClientRequest | undefined;
      try {
        expect(tree.length).toBeGreaterThan(0);
        const body = JSON.stringify({ service: "" });
        let begun: () => void = () => undefined;
        const headersRead = new Promise<void>((resolve) => {
          begun = resolve;
        });
        const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
          request = http.request(
            {
              host: "127.0.0.1",
              port,
              method: "POST",
              path: "/grpc.health.v1.Health/Check",
              headers: {
                "content-type": "application/json",
                "content-length": body.length,
                expect: "100-continue",
              },
            },
            (res) => {
              let data = "";
              res.on("data", (chunk) => {
                data += chunk;
              });
              res.on("end", () => resolve({ status: res.statusCode ?? 0, body: data }));
            },
          );
          request.on("continue", begun);
          request.on("error", reject);
          request.flushHeaders();
        });
        await headersRead;
        if (group) process.kill(-(child.pid ?? 0), signal);
        else child.kill(signal);
        const shuttingDown = new Promise<void>((resolve) => {
          const check = () => {
            if (out.includes('"msg":"shutting down"')) resolve();
          };
          child.stdout?.on("data", check);
          check();
        });
        // Either the server says it is shutting down, or npm is gone first (the signal never reached it).
        await Promise.race([shuttingDown, exited]);
        expect(out).toContain('"msg":"shutting down"');
        request?.end(body);
        const res = await answer;
        expect(res.status).toBe(200);
        expect(JSON.parse(res.body)).toEqual({ status: "SERVING" });
        expect(await exited).toBe(0);
        expect(tree.filter(running)).toEqual([]);
        expect(await refusesConnections(port)).toBe(true);
      } finally {
        request?.destroy();
        for (const pid of [child.pid ?? 0, ...tree])
          if (pid > 0 && running(pid)) process.kill(pid, "SIGKILL");
      }
    },
    60_000,
  );

  // libuv creates all of its pool's threads when the pool is first used (serving has used it), so
  // the difference in threads between two servers is the difference in pool size.
  it.skipIf(process.platform !== "linux")(
    "the authd command gives libuv's thread pool the number of cores + 4 threads, unless UV_THREADPOOL_SIZE is set",
    async () => {
      const threadsOfServer = async (env: Record<string, string>) => {
        const base = { ...process.env };
        delete base.UV_THREADPOOL_SIZE;
        const child = spawn(process.execPath, ["dist/src/authd.cjs", "serve"], {
          cwd: root,
          env: { ...base, AUTHD_PORT: "0", AUTHD_DATA_DIR: tempDir(), AUTHD_LOG_FORMAT: "json", ...env },
        });
        try {
          await waitForListening(child);
          return fs.readdirSync(`/proc/${child.pid}/task`).length;
        } finally {
          const exited = new Promise((resolve) => child.on("exit", resolve));
          child.kill("SIGTERM");
          await exited;
        }
      };
      const byDefault = await threadsOfServer({});
      const operatorsFour = await threadsOfServer({ UV_THREADPOOL_SIZE: "4" });
      expect(byDefault - operatorsFour).toBe(os.availableParallelism() + 4 - 4);
    },
    60_000,
  );

  it("logs readable lines with AUTHD_LOG_FORMAT=pretty (auto at a terminal), one JSON object per line otherwise", () => {
    const run = (format?: string) =>
      spawnSync(process.execPath, ["dist/src/main.js", "migrate"], {
        cwd: root,
        env: { ...process.env, AUTHD_DATA_DIR: tempDir(), ...(format ? { AUTHD_LOG_FORMAT: format } : {}) },
        encoding: "utf8",
      });
    const pretty = run("pretty");
    expect(pretty.status).toBe(0);
    expect(pretty.stdout).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: migrations done/m);
    // The test's stdout is a pipe, so the default is JSON.
    const json = run();
    expect(json.status).toBe(0);
    const lines = json.stdout.trim().split("\n");
    expect(lines.map((line) => JSON.parse(line).msg)).toContain("migrations done");
  });

  it("installs from its packed tarball as an `authd` command that migrates a database", () => {
    const work = tempDir();
    const pack = spawnSync(npm, ["pack", "--ignore-scripts", "--json", "--pack-destination", work], {
      cwd: root,
      encoding: "utf8",
    });
    expect(pack.status, pack.stderr).toBe(0);
    const [{ filename, files }] = JSON.parse(pack.stdout) as [
      { filename: string; files: { path: string }[] },
    ];
    const paths = files.map((f) => f.path);
    expect(paths).toContain("dist/src/main.js");
    expect(paths).toContain("dist/src/authd.cjs");
    expect(paths).toContain(".prebuild-installrc");
    expect(paths.some((p) => p.startsWith("src/") || p.startsWith("test/"))).toBe(false);

    // From npm's cache where it can (the project's own install filled it), the registry otherwise.
    // Install scripts are skipped: compiling argon2 and sqlite3 again would take minutes, so their
    // native builds are taken from this checkout (a full install is checked by hand, see docs/).
    const prefix = path.join(work, "prefix");
    const install = spawnSync(
      npm,
      [
        "install",
        "-g",
        "--prefix",
        prefix,
        "--prefer-offline",
        "--ignore-scripts",
        path.join(work, filename),
      ],
      { cwd: work, encoding: "utf8" },
    );
    expect(install.status, install.stderr).toBe(0);
    const installed = path.join(prefix, "lib", "node_modules", "authd");
    for (const native of ["sqlite3", "argon2"]) {
      const build = path.join("node_modules", native, "build");
      fs.cpSync(path.join(root, build), path.join(installed, build), { recursive: true });
    }

    const authd = path.join(prefix, "bin", "authd");
    const help = spawnSync(authd, ["--help"], { encoding: "utf8" });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: authd/);

    const dataDir = tempDir();
    const migrate = spawnSync(authd, ["migrate"], {
      cwd: work,
      env: { ...process.env, AUTHD_DATA_DIR: dataDir },
      encoding: "utf8",
    });
    expect(migrate.status, migrate.stderr).toBe(0);
    expect(migrate.stdout).toContain("migrations done");
    expect(fs.existsSync(path.join(dataDir, "authd.db"))).toBe(true);
  }, 180_000);
});
