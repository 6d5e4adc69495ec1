// Read-only SQL on the database a child authd used, for the tests that inspect what is on disk (no
// half-written rows after a crash, no secret in clear). SQLite through the sqlite3 driver, which
// replays the WAL on open as authd itself would; PostgreSQL through pg.
import pg from "pg";
import sqlite3 from "sqlite3";

export type DatabaseKind = "sqlite" | "postgres";

export interface DatabaseReader {
  query<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  close(): Promise<void>;
}

/** `location` is the SQLite file path or the PostgreSQL URL. */
export async function openDatabaseReader(kind: DatabaseKind, location: string): Promise<DatabaseReader> {
  if (kind === "postgres") {
    const client = new pg.Client({ connectionString: location });
    await client.connect();
    return {
      query: async <T>(sql: string) => (await client.query(sql)).rows as T[],
      close: () => client.end(),
    };
  }
  const db = await new Promise<sqlite3.Database>((resolve, reject) => {
    const opened: sqlite3.Database = new sqlite3.Database(location, (error) =>
      error ? reject(error) : resolve(opened),
    );
  });
  return {
    query: <T>(sql: string) =>
      new Promise<T[]>((resolve, reject) =>
        db.all(sql, (error: Error | null, rows: T[]) => (error ? reject(error) : resolve(rows))),
      ),
    close: () =>
      new Promise<void>((resolve, reject) => db.close((error) => (error ? reject(error) : resolve()))),
  };
}

/** Counts the rows an SQL query answers. */
export async function countRows(db: DatabaseReader, sql: string): Promise<number> {
  return (await db.query(sql)).length;
}
