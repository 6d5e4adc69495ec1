// Drives load from separate processes: h2load when installed, else the Node generator (node-load.ts)
// in worker processes. Every measurement records the CPU the load generator itself used, so a
// reader can see it was not the bottleneck.
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { LoadPlan } from "./node-load.js";
import { collect, spawnTs } from "./processes.js";

export interface Measurement {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  count: number;
  errors: number;
  /** CPU seconds used by the load generator(s) per second of measurement. */
  loaderCores: number;
  tool: string;
}

export const hasH2load = (() => {
  try {
    execFileSync("h2load", ["--version"], { stdio: "pipe" });
    return true;
  } catch {
    return false;
  }
})();

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export function summarize(
  latenciesUs: number[],
  count: number,
  errors: number,
  seconds: number,
  loaderCpu: number,
  tool: string,
): Measurement {
  const sorted = Float64Array.from(latenciesUs).sort();
  const list = Array.from(sorted);
  return {
    rps: count / seconds,
    p50Ms: percentile(list, 50) / 1000,
    p99Ms: percentile(list, 99) / 1000,
    count,
    errors,
    loaderCores: loaderCpu / seconds,
    tool,
  };
}

export interface FixedLoad {
  url: string;
  path: string;
  body: string;
  headers?: Record<string, string>;
  connections: number;
  streams: number;
  seconds: number;
  warmup: number;
}

/** Same request over and over: h2load, or the Node generator in two worker processes. */
export async function fixedLoad(load: FixedLoad): Promise<Measurement> {
  return hasH2load ? h2load(load) : nodeLoad({ ...load, scenario: "fixed" }, 2);
}

async function h2load(load: FixedLoad): Promise<Measurement> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "authd-h2load-"));
  const bodyFile = path.join(dir, "body.json");
  const logFile = path.join(dir, "requests.log");
  fs.writeFileSync(bodyFile, load.body);
  const headers = { "content-type": "application/json", ...load.headers };
  const args = [
    `-c${load.connections}`,
    `-m${load.streams}`,
    `-D${load.seconds}`,
    `--warm-up-time=${load.warmup}`,
    "-d",
    bodyFile,
    ...Object.entries(headers).flatMap(([k, v]) => ["-H", `${k}: ${v}`]),
    `--log-file=${logFile}`,
    `${load.url}${load.path}`,
  ];
  // `times` reports the CPU the shell's children (h2load) used.
  const quoted = args.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const child = spawn("bash", ["-c", `h2load ${quoted}; rc=$?; times; exit $rc`], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  try {
    const out = await collect(child);
    const finished = /finished in ([\d.]+)s, ([\d.]+) req\/s/.exec(out);
    const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out);
    const requests =
      /requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(out);
    if (!finished || !codes || !requests) throw new Error(`unexpected h2load output:\n${out}`);
    const seconds = Number(finished[1]);
    const ok = Number(codes[1]);
    const errors = Number(requests[3]) + Number(codes[3]) + Number(codes[4]);
    const timeLines = out.trim().split("\n").slice(-1)[0] ?? "";
    const cpu = [...timeLines.matchAll(/(\d+)m([\d.]+)s/g)].reduce(
      (sum, m) => sum + Number(m[1]) * 60 + Number(m[2]),
      0,
    );
    const latencies: number[] = [];
    for (const line of fs.readFileSync(logFile, "utf8").split("\n")) {
      const [, status, us] = line.split("\t");
      if (status === "200") latencies.push(Number(us));
    }
    if (errors > 0) process.stderr.write(`  h2load: ${errors} failed requests on ${load.path}\n`);
    // h2load's CPU covers its warm-up too: spread it over the whole run.
    const loaderCpu = (cpu * seconds) / (seconds + load.warmup);
    return summarize(latencies, ok, errors, seconds, loaderCpu, "h2load");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The Node generator in `processes` worker processes, the plan's connections split between them. */
export async function nodeLoad(plan: LoadPlan, processes = 1): Promise<Measurement> {
  const per = Math.max(1, Math.floor(plan.connections / processes));
  const runs = Array.from({ length: processes }, (_, i) => {
    const tokens = plan.refreshTokens?.slice(i * per * plan.streams, (i + 1) * per * plan.streams);
    const child = spawnTs(path.join(import.meta.dirname, "node-load.ts"), [
      JSON.stringify({ ...plan, connections: per, refreshTokens: tokens }),
    ]);
    return collect(child);
  });
  const results = await Promise.all(runs);
  let count = 0;
  let errors = 0;
  let seconds = 0;
  let cpu = 0;
  const latencies: number[] = [];
  for (const out of results) {
    const r = JSON.parse(out.trim().split("\n").pop() ?? "{}") as {
      count: number;
      errors: number;
      seconds: number;
      cpu: number;
      latencies: number[];
    };
    count += r.count;
    errors += r.errors;
    seconds = Math.max(seconds, r.seconds);
    for (const l of r.latencies) latencies.push(l);
    cpu += r.cpu;
  }
  return summarize(latencies, count, errors, seconds, cpu, `node x${processes}`);
}
