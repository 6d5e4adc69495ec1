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

/**
 * Rows answered by an INSERT/UPDATE ... RETURNING statement, the same on both dialects.
 * TypeORM's raw `em.query` differs here: its SQLite driver runs any statement starting with
 * "INSERT ", "UPDATE " or "DELETE " through sqlite3's run(), which throws the RETURNING rows away,
 * and its PostgreSQL driver answers [rows, rowCount] for UPDATE and DELETE but plain rows otherwise.
 * A leading comment sends SQLite through all(), and the structured result's `records` is the row
 * list on both.
 */
export async function queryReturning<T>(em: EntityManager, sql: string, params: unknown[]): Promise<T[]> {
  const runner = em.queryRunner;
  if (!runner) throw new Error("queryReturning must run inside Store.transaction");
  const result = await runner.query(`/* returning */ ${sql}`, params, true);
  return (result.records ?? []) as T[];
}
