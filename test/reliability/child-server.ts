// authd as the operator runs it — `authd serve` in its own Node process — for the tests that must kill
// it, read every line it logs, or weigh its heap. The process is Node itself with tsx as a loader (not
// the tsx CLI, which would put a second process between the test and the server).
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import type { DescService } from "@bufbuild/protobuf";
import { type Client, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";

const root = path.resolve(import.meta.dirname, "..", "..");
const heapProbe = path.join(import.meta.dirname, "heap-probe.cjs");

export interface HeapSample {
  heapUsed: number;
  rss: number;
}

export interface ChildServer {
  url: string;
  process: ChildProcess;
  /** Everything the server wrote to stdout and stderr so far (its log lines). */
  output(): string;
  client<T extends DescService>(service: T, headers?: Record<string, string>): Client<T>;
  /** SIGKILL: no shutdown hook runs, as in a power cut or an OOM kill. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the clean exit. */
  stop(): Promise<void>;
  /** With `heapProbe`: a full GC in the server, then its heap and RSS. */
  heap(): Promise<HeapSample>;
}

/** Small argon2 costs, as in the in-process test servers. */
const FAST_ENV = { AUTHD_ARGON2_MEMORY_KIB: "1024", AUTHD_ARGON2_ITERATIONS: "1" };

/** Starts `authd serve`; the log level must be info or lower (the "authd listening" line gives the URL). */
export async function spawnAuthd(
  env: Record<string, string>,
  options: { heapProbe?: boolean } = {},
): Promise<ChildServer> {
  const nodeArgs = options.heapProbe ? ["--expose-gc", "--require", heapProbe] : [];
  const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", "src/main.ts", "serve"], {
    cwd: root,
    env: {
      ...process.env,
      AUTHD_HOST: "127.0.0.1",
      AUTHD_PORT: "0",
      AUTHD_LOG_LEVEL: "info",
      ...FAST_ENV,
      ...env,
    },
    stdio: options.heapProbe ? ["ignore", "pipe", "pipe", "ipc"] : ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"url":"(http:\/\/[^"]+)"/.exec(output);
      if (match?.[1]) resolve(match[1]);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code, signal) => reject(new Error(`authd exited (${code ?? signal}): ${output}`)));
    setTimeout(() => reject(new Error(`authd did not start within 60 s: ${output}`)), 60_000).unref();
  });
  const transport = (headers: Record<string, string>) =>
    createConnectTransport({
      baseUrl: url,
      httpVersion: "1.1",
      interceptors: [
        (next) => (req) => {
          for (const [k, v] of Object.entries(headers)) req.header.set(k, v);
          return next(req);
        },
      ],
    });
  return {
    url,
    process: child,
    output: () => output,
    client: (service, headers = {}) => createClient(service, transport(headers)),
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
    heap() {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no answer from the heap probe")), 30_000);
        child.once("message", (sample) => {
          clearTimeout(timer);
          resolve(sample as HeapSample);
        });
        child.send("heap");
      });
    },
  };
}
