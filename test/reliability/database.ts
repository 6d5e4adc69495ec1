// Read-only SQL on the database a child authd used, for the tests that inspect what is on disk (no
// half-written rows after a crash, no secret in clear). SQLite through the sqlite3 driver, which
// replays the WAL on open as authd itself would; PostgreSQL through pg, and its files on disk.
import fs from "node:fs";
import path from "node:path";
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

/** Where PostgreSQL's write-ahead log is now: read before the traffic whose WAL is to be scanned. */
export async function walPosition(url: string): Promise<string> {
  const db = await openDatabaseReader("postgres", url);
  try {
    const [row] = await db.query<{ wal: string }>("SELECT pg_walfile_name(pg_current_wal_lsn()) AS wal");
    return row?.wal ?? "";
  } finally {
    await db.close();
  }
}

/**
 * PostgreSQL's files as the database at `url` left them, after a CHECKPOINT wrote every changed page
 * out: each relation file of the database (tables, indexes, TOAST, free-space maps) and each
 * write-ahead log segment from `walFrom` (see walPosition) to the current one. The cluster is
 * shared with the other test files: its WAL holds their writes too. Needs a superuser on a cluster
 * whose data directory is on this machine, as the suite's own cluster is (global-postgres.ts).
 */
export async function postgresFiles(url: string, walFrom: string): Promise<Map<string, Buffer>> {
  const db = await openDatabaseReader("postgres", url);
  let dataDir: string;
  let databaseOid: string;
  let walTo: string;
  try {
    await db.query("CHECKPOINT");
    [{ setting: dataDir = "" } = { setting: "" }] = await db.query<{ setting: string }>(
      "SELECT setting FROM pg_settings WHERE name = 'data_directory'",
    );
    [{ oid: databaseOid = "" } = { oid: "" }] = await db.query<{ oid: string }>(
      "SELECT oid::text AS oid FROM pg_database WHERE datname = current_database()",
    );
    [{ wal: walTo = "" } = { wal: "" }] = await db.query<{ wal: string }>(
      "SELECT pg_walfile_name(pg_current_wal_lsn()) AS wal",
    );
  } finally {
    await db.close();
  }
  const relations = path.join(dataDir, "base", databaseOid);
  if (!dataDir || !databaseOid || !fs.existsSync(relations)) {
    throw new Error(`cannot read PostgreSQL's files at ${relations}: the cluster must be on this machine`);
  }
  const files = new Map<string, Buffer>();
  for (const name of fs.readdirSync(relations)) {
    const file = path.join(relations, name);
    if (fs.statSync(file).isFile())
      files.set(`relation file base/${databaseOid}/${name}`, fs.readFileSync(file));
  }
  // Segment names sort in write order within a timeline (TTTTTTTTXXXXXXXXYYYYYYYY).
  const walDir = path.join(dataDir, "pg_wal");
  const segments = fs
    .readdirSync(walDir)
    .filter((name) => /^[0-9A-F]{24}$/.test(name) && name >= walFrom && name <= walTo);
  if (segments.length === 0) throw new Error(`no WAL segment from ${walFrom} to ${walTo} in ${walDir}`);
  for (const name of segments) files.set(`WAL segment ${name}`, fs.readFileSync(path.join(walDir, name)));
  return files;
}
