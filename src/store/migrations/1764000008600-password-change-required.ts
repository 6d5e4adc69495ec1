import { type MigrationInterface, type QueryRunner, TableColumn } from "typeorm";

/**
 * `users.password_change_required`: set when an administrator gave the account its password
 * (CreateUser's initial password, SetUserPassword with require_change). Such a password cannot
 * sign in (Login answers FAILED_PRECONDITION, PASSWORD_CHANGE_REQUIRED) until the owner sets one
 * of their own by the emailed reset link. ADD COLUMN only: no table rebuild on SQLite.
 */
export class PasswordChangeRequired1764000008600 implements MigrationInterface {
  name = "PasswordChangeRequired1764000008600";

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn(
      "users",
      new TableColumn({ name: "password_change_required", type: "boolean", default: false }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn("users", "password_change_required");
  }
}
