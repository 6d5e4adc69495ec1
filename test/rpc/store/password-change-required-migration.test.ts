// Migration 1764000008600 adds users.password_change_required with ADD COLUMN only: on a database
// with accounts, every row that belongs to an account stays (a table rebuild with foreign keys on
// would cascade-delete them), and existing accounts may sign in as before (false). SQLite and
// PostgreSQL.
import { DataSource, type DataSourceOptions } from "typeorm";
import { expect, it } from "vitest";
import { DEFAULT_TENANT_ID } from "../../../src/domain/tenants/records.js";
import { PasswordChangeRequired1764000008600 } from "../../../src/store/migrations/1764000008600-password-change-required.js";
import { migrations } from "../../../src/store/schema.js";
import { forEachDatabase } from "../../helpers/databases.js";

const before = migrations.filter((m) => m.name !== "PasswordChangeRequired1764000008600");

async function check(options: DataSourceOptions): Promise<void> {
  const ds = new DataSource({ ...options, migrations: before, migrationsTransactionMode: "each" });
  await ds.initialize();
  try {
    await ds.runMigrations({ transaction: "each" });
    await ds.query(
      `INSERT INTO users (id, email, tenant_id, settings, roles, password_hash, created_at, updated_at) VALUES ('u1', 'ann@example.com', '${DEFAULT_TENANT_ID}', '{}', '[]', 'h', 1, 1)`,
    );
    await ds.query(
      `INSERT INTO sessions (id, user_id, amr, created_at, last_used_at, expires_at) VALUES ('s1', 'u1', '[]', 1, 1, 9)`,
    );
    const runner = ds.createQueryRunner();
    if (ds.options.type === "sqlite") await runner.query("PRAGMA foreign_keys = ON");
    await runner.startTransaction();
    await new PasswordChangeRequired1764000008600().up(runner);
    await runner.commitTransaction();
    await runner.release();
    const [{ n }] = await ds.query(`SELECT COUNT(*) AS n FROM sessions`);
    expect(Number(n)).toBe(1);
    const [row] = await ds.query(`SELECT password_change_required AS p FROM users WHERE id = 'u1'`);
    expect(Boolean(row.p)).toBe(false);
  } finally {
    await ds.destroy();
  }
}

forEachDatabase("the password-change-required migration", (database) => {
  it("adds the column without rebuilding users (on SQLite, with foreign keys on) and keeps every row", async () => {
    const url = await database.url();
    await check(
      database.kind === "postgres"
        ? { type: "postgres", url }
        : { type: "sqlite", database: url.slice("sqlite:".length) },
    );
  });
});
