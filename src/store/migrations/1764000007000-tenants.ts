import { type MigrationInterface, type QueryRunner, Table, TableForeignKey } from "typeorm";

/** The `default` tenant's id, fixed so that code and older rows can name it without a lookup. */
const DEFAULT_TENANT_ID = "00000000-0000-0000-0000-000000000000";

/**
 * Tenants (companies). Creates the `default` tenant, moves every account into it, makes
 * `users.tenant_id` required (a foreign key to tenants) and email and username unique per tenant
 * instead of globally.
 *
 * On SQLite the global UNIQUE constraints are part of `users`' CREATE TABLE and cannot be dropped:
 * the table is rebuilt (the documented create-copy-drop-rename procedure). `users` is the parent of
 * many tables with ON DELETE CASCADE, so dropping it while foreign keys are on would empty them.
 * TypeORM turns foreign keys off on SQLite before each migration's transaction (its
 * `beforeMigration`); this migration refuses to rebuild unless that is so, and checks every
 * foreign key after the rebuild.
 */
export class Tenants1764000007000 implements MigrationInterface {
  name = "Tenants1764000007000";

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: "tenants",
        columns: [
          { name: "id", type: "varchar", length: "36", isPrimary: true },
          { name: "slug", type: "varchar", length: "63" },
          { name: "name", type: "varchar", length: "100" },
          { name: "status", type: "varchar", length: "16", default: "'active'" },
          { name: "created_at", type: "bigint" },
          { name: "updated_at", type: "bigint" },
        ],
        indices: [{ name: "uq_tenants_slug", columnNames: ["slug"], isUnique: true }],
      }),
    );
    const now = Date.now();
    // Constants only: nothing here comes from outside.
    await q.query(
      `INSERT INTO "tenants" ("id", "slug", "name", "status", "created_at", "updated_at") VALUES ('${DEFAULT_TENANT_ID}', 'default', 'Default', 'active', ${now}, ${now})`,
    );
    await q.query(
      `UPDATE "users" SET "tenant_id" = '${DEFAULT_TENANT_ID}' WHERE "tenant_id" IS NULL OR "tenant_id" NOT IN (SELECT "id" FROM "tenants")`,
    );
    if (q.connection.options.type === "postgres") await this.postgresUsers(q);
    else await this.rebuildSqliteUsers(q);
    await q.query(`CREATE UNIQUE INDEX "uq_users_tenant_email" ON "users" ("tenant_id", "email")`);
    await q.query(`CREATE UNIQUE INDEX "uq_users_tenant_username" ON "users" ("tenant_id", "username")`);
  }

  private async postgresUsers(q: QueryRunner): Promise<void> {
    // The global UNIQUE constraints on email and username, whatever TypeORM named them.
    const globalUniques: Array<{ conname: string }> = await q.query(
      `SELECT c.conname FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        WHERE c.conrelid = '"users"'::regclass AND c.contype = 'u'
          AND array_length(c.conkey, 1) = 1 AND a.attname IN ('email', 'username')`,
    );
    for (const { conname } of globalUniques) {
      await q.query(`ALTER TABLE "users" DROP CONSTRAINT "${conname}"`);
    }
    await q.query(`ALTER TABLE "users" ALTER COLUMN "tenant_id" SET NOT NULL`);
    await q.createForeignKey(
      "users",
      new TableForeignKey({
        name: "fk_users_tenant_id",
        columnNames: ["tenant_id"],
        referencedTableName: "tenants",
        referencedColumnNames: ["id"],
      }),
    );
  }

  private async rebuildSqliteUsers(q: QueryRunner): Promise<void> {
    const [{ foreign_keys: on }] = await q.query("PRAGMA foreign_keys");
    if (on)
      throw new Error("refusing to rebuild users while foreign keys are on: its children would be emptied");
    await q.query(`CREATE TABLE "users_new" (
      "id" varchar(36) PRIMARY KEY NOT NULL,
      "email" varchar(320) NOT NULL,
      "email_verified" boolean NOT NULL DEFAULT (false),
      "username" varchar(64),
      "first_name" varchar(200) NOT NULL DEFAULT (''),
      "last_name" varchar(200) NOT NULL DEFAULT (''),
      "mobile" varchar(20) NOT NULL DEFAULT (''),
      "mobile_verified" boolean NOT NULL DEFAULT (false),
      "language" varchar(35) NOT NULL DEFAULT (''),
      "timezone" varchar(64) NOT NULL DEFAULT (''),
      "settings" text NOT NULL,
      "status" varchar(16) NOT NULL DEFAULT ('active'),
      "tenant_id" varchar(36) NOT NULL,
      "roles" text NOT NULL,
      "password_hash" text NOT NULL,
      "failed_logins" integer NOT NULL DEFAULT (0),
      "locked_until" bigint,
      "created_at" bigint NOT NULL,
      "updated_at" bigint NOT NULL,
      CONSTRAINT "fk_users_tenant_id" FOREIGN KEY ("tenant_id") REFERENCES "tenants" ("id")
    )`);
    const columns = `"id", "email", "email_verified", "username", "first_name", "last_name", "mobile", "mobile_verified", "language", "timezone", "settings", "status", "tenant_id", "roles", "password_hash", "failed_logins", "locked_until", "created_at", "updated_at"`;
    await q.query(`INSERT INTO "users_new" (${columns}) SELECT ${columns} FROM "users"`);
    await q.query(`DROP TABLE "users"`);
    await q.query(`ALTER TABLE "users_new" RENAME TO "users"`);
    const broken = await q.query("PRAGMA foreign_key_check");
    if (broken.length > 0)
      throw new Error(`foreign keys broken by the users rebuild: ${JSON.stringify(broken.slice(0, 5))}`);
  }

  async down(_q: QueryRunner): Promise<void> {
    // Going back would need globally unique emails again, which tenants may have broken.
    throw new Error(`${this.name} cannot be reverted`);
  }
}
