// The configuration reference, rendered from the one list of variables in src/config.ts. The table is
// padded the way Biome formats Markdown, so `npm run lint` leaves the generated file as it is.
import { variables } from "../src/config.js";

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

const cell = (text: string) => text.replaceAll("|", "\\|");

export function renderConfiguration(): string {
  const rows = variables.map((v) => [
    `\`${v.name}\``,
    v.default ? `\`${cell(v.default)}\`` : "(empty)",
    cell(v.description),
  ]);
  return `# Configuration

<!-- Generated from src/config.ts by \`npm run docs\`: edit the descriptions there. -->

Every setting is an environment variable, read once at start-up by \`src/config.ts\` (the only module
that reads \`process.env\`). Bad values stop start-up with exit code 78 and a message naming each
variable at fault, all of them at once. \`AUTHD_ENV=production\` also requires \`AUTHD_SECRET\` and
\`AUTHD_SMTP_URL\`. An \`AUTHD_\` variable authd does not know (a misspelling such as \`AUTHD_PORTT\`) is
ignored with a warning at start-up that names it and the known variable it most likely meant.

${table(["Variable", "Default", "What it does"], rows)}

One variable is Node's own: \`UV_THREADPOOL_SIZE\`, the threads of libuv's pool, which argon2id, the
SQLite driver and file access share (4 by default). The \`authd\` command (and \`npm start\`) sets it to
the number of cores + 4 when it is not set (\`AUTHD_HASH_CONCURRENCY\` hashes at once, plus 4 threads for
the database and files); a value you set is kept. Raise it with \`AUTHD_HASH_CONCURRENCY\` if you raise
that above the number of cores. \`node dist/src/main.js\` run directly leaves Node's default.
`;
}
