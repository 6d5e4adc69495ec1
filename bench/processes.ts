// Child processes of the benchmark: start, wait, measure CPU time and peak memory from /proc.
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

/** Runs a TypeScript file under Node with tsx loaded in-process, so the pid is the program's own. */
export function spawnTs(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  nodeFlags: string[] = [],
  options: { discardStdout?: boolean } = {},
) {
  return spawnNode(file, args, env, [...nodeFlags, "--import", "tsx"], options);
}

/** Runs a JavaScript file under Node (authd's compiled dist/, as `npm start` does). */
export function spawnNode(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  nodeFlags: string[] = [],
  options: { discardStdout?: boolean } = {},
) {
  // A server's request log goes straight to /dev/null: piping it here would cost this process CPU
  // that the server and the load generator need.
  const stdout = options.discardStdout ? fs.openSync("/dev/null", "w") : "pipe";
  return spawn(process.execPath, [...nodeFlags, file, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", stdout, "pipe"],
  });
}

/** Waits for a child to exit; answers its stdout. Rejects on a non-zero exit. */
export function collect(child: ChildProcess): Promise<string> {
  let out = "";
  let err = "";
  child.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    err += c.toString();
  });
  return new Promise((resolve, reject) => {
    child.on("exit", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err.slice(-2000)}`)),
    );
  });
}

/** The first line a child prints on stdout. */
export function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf("\n");
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.on("exit", (code) => reject(new Error(`exited with ${code} before printing`)));
  });
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return Number.NaN; // already exited
  }
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 of stat(5) (utime, stime), counted from after the command name.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Peak resident set size (VmHWM) of a live process, in MiB. */
export function peakRssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.on("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}
