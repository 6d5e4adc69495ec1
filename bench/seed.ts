// Seeds accounts straight into the database with one INSERT ... SELECT per batch: every account gets
// the same precomputed argon2id hash (so seeding 1,000,000 accounts costs one hash, not a million).
// Account n is `bench-<n>@bench.example`, verified and active.
import pg from "pg";
import sqlite3 from "sqlite3";
import { DEFAULT_TENANT_ID } from "../src/domain/tenants/records.js";

export const BENCH_PASSWORD = "bench passphrase of quiet rivers";
export const benchEmail = (n: number) => `bench-${n}@bench.example`;

const BATCH = 100_000;

export async function seedAccounts(databaseUrl: string, count: number, hash: string): Promise<void> {
  const now = Date.now();
  if (databaseUrl.startsWith("postgres")) {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      for (let from = 1; from <= count; from += BATCH) {
        const to = Math.min(count, from + BATCH - 1);
        await client.query(
          `INSERT INTO users (id, tenant_id, email, email_verified, settings, status, roles, password_hash, created_at, updated_at)
           SELECT lpad(to_hex(g), 8, '0') || '-0000-4000-8000-' || lpad(to_hex(g), 12, '0'), $5,
                  'bench-' || g || '@bench.example', true, '{}', 'active', '[]', $1, $2, $2
           FROM generate_series($3::int, $4::int) g`,
          [hash, now, from, to, DEFAULT_TENANT_ID],
        );
      }
      await client.query("ANALYZE users");
    } finally {
      await client.end();
    }
    return;
  }
  const file = databaseUrl.replace(/^sqlite:/, "");
  const db = new sqlite3.Database(file);
  const run = (sql: string, params: unknown[] = []) =>
    new Promise<void>((resolve, reject) => db.run(sql, params, (err) => (err ? reject(err) : resolve())));
  try {
    await run("PRAGMA journal_mode = WAL");
    for (let from = 1; from <= count; from += BATCH) {
      const to = Math.min(count, from + BATCH - 1);
      await run(
        `WITH RECURSIVE g(n) AS (SELECT ? UNION ALL SELECT n + 1 FROM g WHERE n < ?)
         INSERT INTO users (id, tenant_id, email, email_verified, settings, status, roles, password_hash, created_at, updated_at)
         SELECT printf('%08x-0000-4000-8000-%012x', n, n), ?, 'bench-' || n || '@bench.example', 1, '{}',
                'active', '[]', ?, ?, ? FROM g`,
        [from, to, DEFAULT_TENANT_ID, hash, now, now],
      );
    }
    await run("ANALYZE");
  } finally {
    await new Promise<void>((resolve) => db.close(() => resolve()));
  }
}
