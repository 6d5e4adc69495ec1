// Runs an example of examples/ the way its README says to, waits for the address it prints
// ("listening on http://..."), and stops it when the test is done (SIGTERM, then SIGKILL), so that
// no process is left behind.
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "..", "..");

export interface RunningExample {
  url: string;
  /** What it printed so far, stdout and stderr. */
  output(): string;
  stop(): Promise<void>;
}

/** A TypeScript example, as `npx tsx <file>` runs it (one process: node with tsx's loader). */
export function startNodeExample(file: string, env: Record<string, string>): Promise<RunningExample> {
  return startExample(process.execPath, ["--import", "tsx", file], env);
}

export function startExample(
  command: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<RunningExample> {
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: "pipe" });
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop(child, exited);
      reject(new Error(`${args.join(" ")} printed no address within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (!url) return;
      clearTimeout(timer);
      resolve({ url, output: () => output, stop: () => stop(child, exited) });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(" ")} exited (${code ?? signal}) before listening:\n${output}`));
    });
  });
}

async function stop(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const killer = setTimeout(() => child.kill("SIGKILL"), 3000);
  await exited;
  clearTimeout(killer);
}
