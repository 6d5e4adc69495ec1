import { type MigrationInterface, type QueryRunner, TableForeignKey } from "typeorm";

/**
 * Every table that belongs to an account gets a foreign key that cascades on delete, so removing a
 * users row removes its sessions (IP, user agent), refresh tokens, API keys and second factors
 * (phone numbers, sealed secrets) with it. Rows left behind by earlier deletions are removed first:
 * a foreign key cannot be added over them.
 *
 * On SQLite, adding a foreign key rebuilds the table (TypeORM copies it into a new one). The order
 * matters there: a parent (sessions, mfa_authenticators) is rebuilt before its children point at
 * it, because dropping a table that children reference with ON DELETE CASCADE empties them. For the
 * same reason a later migration must never rebuild users, sessions or mfa_authenticators on SQLite
 * while foreign keys are on: the drop would cascade.
 */
const LINKS: Array<{ table: string; column: string; parent: string }> = [
  { table: "sessions", column: "user_id", parent: "users" },
  { table: "refresh_tokens", column: "session_id", parent: "sessions" },
  { table: "api_keys", column: "user_id", parent: "users" },
  { table: "mfa_authenticators", column: "user_id", parent: "users" },
  { table: "mfa_recovery_codes", column: "authenticator_id", parent: "mfa_authenticators" },
  { table: "mfa_codes", column: "user_id", parent: "users" },
  { table: "mfa_challenges", column: "user_id", parent: "users" },
  { table: "mfa_trusted_devices", column: "user_id", parent: "users" },
  { table: "mfa_step_ups", column: "user_id", parent: "users" },
];

const keyName = (table: string, column: string) => `fk_${table}_${column}`;

export class AccountForeignKeys1764000005300 implements MigrationInterface {
  name = "AccountForeignKeys1764000005300";

  async up(q: QueryRunner): Promise<void> {
    for (const { table, column, parent } of LINKS) {
      await q.query(`DELETE FROM "${table}" WHERE "${column}" NOT IN (SELECT "id" FROM "${parent}")`);
      await q.createForeignKey(
        table,
        new TableForeignKey({
          name: keyName(table, column),
          columnNames: [column],
          referencedTableName: parent,
          referencedColumnNames: ["id"],
          onDelete: "CASCADE",
        }),
      );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const { table, column } of [...LINKS].reverse()) {
      await q.dropForeignKey(table, keyName(table, column));
    }
  }
}
