// Rows answered by an INSERT/UPDATE ... RETURNING statement, the same on both dialects.
// TypeORM's raw `em.query` differs here: its SQLite driver runs any statement starting with
// "INSERT ", "UPDATE " or "DELETE " through sqlite3's run(), which throws the RETURNING rows away,
// and its PostgreSQL driver answers [rows, rowCount] for UPDATE and DELETE but plain rows otherwise.
// A leading comment sends SQLite through all(), and the structured result's `records` is the row
// list on both.
import type { EntityManager } from "typeorm";

export async function queryReturning<T>(em: EntityManager, sql: string, params: unknown[]): Promise<T[]> {
  const runner = em.queryRunner;
  if (!runner) throw new Error("queryReturning must run inside Store.transaction");
  const result = await runner.query(`/* returning */ ${sql}`, params, true);
  return (result.records ?? []) as T[];
}
