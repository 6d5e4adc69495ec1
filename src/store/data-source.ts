import fs from "node:fs";
import path from "node:path";
import "reflect-metadata";
import sqlite3 from "sqlite3";
import { DataSource } from "typeorm";
import { entities, migrations } from "./schema.js";

const MIGRATION_LOCK_ID = 727_465_001;

/**
 * TypeORM calls `sqlite3.verbose()`, which wraps every database call to capture a stack trace (a
 * tenth of the CPU of a small query). The same module without that wrapper.
 */
const quietSqlite3 = Object.assign(Object.create(sqlite3) as typeof sqlite3, { verbose: () => sqlite3 });

/**
 * How SQLite runs under a server. In WAL mode with synchronous=NORMAL a commit is written to the WAL
 * file but not fsynced: a killed process loses nothing it answered (the WAL is in the OS page cache
 * and is replayed at the next open), while a power loss or an OS crash may lose the last
 * transactions before the next checkpoint, never corrupt the database. FULL would fsync every commit.
 */
const SQLITE_PRAGMAS = [
  "PRAGMA synchronous = NORMAL",
  // 8 MiB of page cache per connection (the default is 2 MiB), temporary tables in memory.
  "PRAGMA cache_size = -8192",
  "PRAGMA temp_store = MEMORY",
];

/** Read-only connections beside the writer; reads are single statements, so few are needed. */
const SQLITE_READERS = 2;

function sqliteFile(databaseUrl: string): string {
  return databaseUrl.replace(/^sqlite:/, "");
}

function isPostgres(databaseUrl: string): boolean {
  return databaseUrl.startsWith("postgres://") || databaseUrl.startsWith("postgresql://");
}

/** Builds the DataSource for a `sqlite:<file>` or `postgres://` URL. Schema comes from migrations only. */
export function createDataSource(databaseUrl: string): DataSource {
  if (isPostgres(databaseUrl)) {
    return new DataSource({
      type: "postgres",
      url: databaseUrl,
      entities,
      migrations,
      synchronize: false,
      migrationsTransactionMode: "each",
      extra: { max: 10 },
    });
  }
  const file = sqliteFile(databaseUrl);
  if (file !== ":memory:") fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  return new DataSource({
    type: "sqlite",
    driver: quietSqlite3,
    database: file,
    entities,
    migrations,
    synchronize: false,
    migrationsTransactionMode: "each",
    // WAL lets readers proceed during a write; TypeORM also turns foreign keys on for SQLite.
    enableWAL: true,
    busyTimeout: 5000,
  });
}

/** Opens the database and applies pending migrations; returns how many ran. */
export async function openDatabase(
  databaseUrl: string,
): Promise<{ dataSource: DataSource; applied: number }> {
  const dataSource = createDataSource(databaseUrl);
  await dataSource.initialize();
  if (dataSource.options.type !== "postgres") {
    for (const pragma of SQLITE_PRAGMAS) await dataSource.query(pragma);
    const applied = await dataSource.runMigrations({ transaction: "each" });
    return { dataSource, applied: applied.length };
  }
  // Replicas starting together must not run the same migration twice: one holds the lock, the
  // others wait and then find nothing left to do.
  const lock = dataSource.createQueryRunner();
  await lock.connect();
  try {
    await lock.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_ID]);
    const applied = await dataSource.runMigrations({ transaction: "each" });
    return { dataSource, applied: applied.length };
  } finally {
    await lock.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_ID]).catch(() => undefined);
    await lock.release();
  }
}

/**
 * The read-only SQLite connections for `Store.read`, opened after the writer (which set WAL mode).
 * None for PostgreSQL (its pool serves reads) or an in-memory database (another connection would see
 * another database).
 */
export async function openReaders(databaseUrl: string): Promise<DataSource[]> {
  const file = sqliteFile(databaseUrl);
  if (isPostgres(databaseUrl) || file === ":memory:" || file === "") return [];
  const readers: DataSource[] = [];
  try {
    for (let i = 0; i < SQLITE_READERS; i++) {
      const reader = new DataSource({
        type: "sqlite",
        driver: quietSqlite3,
        database: file,
        entities,
        synchronize: false,
        busyTimeout: 5000,
      });
      await reader.initialize();
      readers.push(reader);
      for (const pragma of [...SQLITE_PRAGMAS, "PRAGMA query_only = 1"]) await reader.query(pragma);
    }
  } catch (error) {
    for (const reader of readers) await reader.destroy().catch(() => undefined);
    throw error;
  }
  return readers;
}
