import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The optional profile fields, the last sign-in time and the accepted terms and privacy versions.
 * Plain ALTER TABLE ... ADD COLUMN statements, never TypeORM's addColumn: on SQLite that rebuilds
 * the users table (copy, drop, rename), and dropping it would cascade to every row that references
 * an account. Each column has a default or allows NULL, so existing rows need no backfill.
 */
const COLUMNS: Array<[name: string, definition: string]> = [
  ["birth_date", "varchar(10) NOT NULL DEFAULT ''"],
  ["gender", "varchar(32) NOT NULL DEFAULT ''"],
  ["title", "varchar(32) NOT NULL DEFAULT ''"],
  ["marital_status", "varchar(32) NOT NULL DEFAULT ''"],
  ["nationality", "varchar(2) NOT NULL DEFAULT ''"],
  ["residency", "varchar(2) NOT NULL DEFAULT ''"],
  ["id_number", "varchar(64) NOT NULL DEFAULT ''"],
  ["department", "varchar(200) NOT NULL DEFAULT ''"],
  ["job_title", "varchar(200) NOT NULL DEFAULT ''"],
  ["postal_address", "text NULL"],
  ["avatar_url", "varchar(2048) NOT NULL DEFAULT ''"],
  ["external_customer_id", "varchar(128) NOT NULL DEFAULT ''"],
  ["last_sign_in_at", "bigint NULL"],
  ["accepted_terms_version", "varchar(64) NOT NULL DEFAULT ''"],
  ["terms_accepted_at", "bigint NULL"],
  ["accepted_privacy_version", "varchar(64) NOT NULL DEFAULT ''"],
  ["privacy_accepted_at", "bigint NULL"],
];

export class Profile1764000008000 implements MigrationInterface {
  name = "Profile1764000008000";

  async up(q: QueryRunner): Promise<void> {
    for (const [name, definition] of COLUMNS) {
      await q.query(`ALTER TABLE "users" ADD COLUMN "${name}" ${definition}`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    // DROP COLUMN exists on SQLite 3.35+ and PostgreSQL, and rebuilds nothing.
    for (const [name] of [...COLUMNS].reverse()) {
      await q.query(`ALTER TABLE "users" DROP COLUMN "${name}"`);
    }
  }
}
