import fs from "node:fs";
import path from "node:path";
import "reflect-metadata";
import { DataSource } from "typeorm";
import { entities, migrations } from "./schema.js";

const MIGRATION_LOCK_ID = 727_465_001;

/** Builds the DataSource for a `sqlite:<file>` or `postgres://` URL. Schema comes from migrations only. */
export function createDataSource(databaseUrl: string): DataSource {
  if (databaseUrl.startsWith("postgres://") || databaseUrl.startsWith("postgresql://")) {
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
  const file = databaseUrl.replace(/^sqlite:/, "");
  if (file !== ":memory:") fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  return new DataSource({
    type: "sqlite",
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
