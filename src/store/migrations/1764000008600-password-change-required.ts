import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * `users.password_change_required`: set when an administrator gave the account its password
 * (CreateUser's initial password, SetUserPassword with require_change). Such a password cannot
 * sign in (Login answers FAILED_PRECONDITION, PASSWORD_CHANGE_REQUIRED) until the owner sets one
 * of their own by the emailed reset link.
 *
 * A plain ALTER TABLE ... ADD COLUMN on both databases. TypeORM's addColumn rebuilds the table on
 * SQLite (create, copy, drop, rename): dropping `users` with foreign keys on would cascade-delete
 * every session, key and factor of every account.
 */
export class PasswordChangeRequired1764000008600 implements MigrationInterface {
  name = "PasswordChangeRequired1764000008600";

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE "users" ADD COLUMN "password_change_required" boolean NOT NULL DEFAULT (false)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "users" DROP COLUMN "password_change_required"`);
  }
}
