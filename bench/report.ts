// The results table, as Markdown: one row per call, the ratio to its baseline, and when several
// account counts were run, each call's rate at every count next to the first.
import type { Measurement } from "./load.js";

export interface Row extends Measurement {
  name: string;
  accounts: number;
  /** A reference measurement (bare server, raw argon2id), not authd. */
  reference?: boolean;
  serverCores: number;
  baseline?: string;
  ratio?: number;
  /** The ratio of requests per CPU-second of the server: fairer when other work shares the cores. */
  ratioPerCore?: number;
  peakRssMiB?: number;
}

export interface RunInfo {
  date: string;
  machine: string;
  command: string;
  database: string;
  loader: string;
  argon2: string;
  load: number;
}

const fmt = (n: number | undefined, digits = 0) =>
  n === undefined || Number.isNaN(n)
    ? "—"
    : n.toLocaleString("en", { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function formatReport(info: RunInfo, rows: Row[], accountCounts: number[]): string {
  const lines = [
    `### ${info.database}, ${info.date.slice(0, 16).replace("T", " ")} UTC`,
    "",
    `- machine: ${info.machine} (1-min load average at start ${info.load.toFixed(2)})`,
    `- command: \`${info.command}\``,
    `- load: ${info.loader}; Refresh and Register from the Node generator; ${info.argon2}`,
    "",
    "Each baseline row is measured just before the row that compares with it. `ratio` = req/s ÷ the",
    "baseline's; `per core` = the same ratio of requests per CPU-second of the server process (fairer",
    "when other work shares the cores); `server cores` and `loader cores` = CPU-seconds per second used.",
    "",
    "| call | accounts | req/s | p50 ms | p99 ms | baseline | ratio | per core | server cores | loader cores | errors |",
    "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.reference ? `(${r.name})` : r.name} | ${r.accounts ? fmt(r.accounts) : "—"} | ${fmt(r.rps)} | ${fmt(r.p50Ms, 2)} | ${fmt(r.p99Ms, 2)} | ${r.baseline ?? "—"} | ${fmt(r.ratio, 2)} | ${fmt(r.ratioPerCore, 2)} | ${fmt(r.serverCores, 2)} | ${fmt(r.loaderCores, 2)} | ${r.errors} |`,
    );
  }
  const rss = rows.filter((r) => !r.reference && r.peakRssMiB !== undefined);
  for (const accounts of accountCounts) {
    const peak = rss.find((r) => r.accounts === accounts)?.peakRssMiB;
    lines.push("", `Peak RSS of authd (VmHWM) with ${fmt(accounts)} accounts: ${fmt(peak)} MiB`);
  }
  if (accountCounts.length > 1) {
    const [first, ...rest] = accountCounts;
    lines.push(
      "",
      `| call | ${accountCounts.map((a) => `${fmt(a)} accounts`).join(" | ")} |`,
      `|---|${accountCounts.map(() => "---:").join("|")}|`,
    );
    for (const name of ["Login", "ValidateToken", "GetCurrentUser"]) {
      const at = (a: number) => rows.find((r) => r.name === name && r.accounts === a && !r.reference)?.rps;
      const base = at(first as number);
      const cells = [
        fmt(base),
        ...rest.map((a) => `${fmt(at(a))} (${base ? fmt(((at(a) ?? 0) / base - 1) * 100, 1) : "—"} %)`),
      ];
      lines.push(`| ${name} | ${cells.join(" | ")} |`);
    }
  }
  return lines.join("\n");
}
