// Helpers for the few statements written as raw SQL (hot paths, and what TypeORM's builders cannot
// say), so they read the same on SQLite and PostgreSQL.
import type { EntityManager } from "typeorm";

/** Placeholder for the n-th (1-based) parameter of a raw query on `em`'s database. */
export function placeholders(em: EntityManager): (n: number) => string {
  return em.connection.options.type === "postgres" ? (n) => `$${n}` : () => "?";
}

/**
 * Runs an UPDATE or DELETE and answers how many rows it changed. Needs the transaction's query
 * runner: `em.query` answers rows on SQLite and [rows, count] on PostgreSQL, never one count.
 */
export async function affectedRows(em: EntityManager, sql: string, params: unknown[]): Promise<number> {
  const runner = em.queryRunner;
  if (!runner) throw new Error("affectedRows must run inside Store.transaction");
  const result = await runner.query(sql, params, true);
  return result.affected ?? 0;
}
