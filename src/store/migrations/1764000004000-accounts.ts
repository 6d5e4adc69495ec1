import { type MigrationInterface, type QueryRunner, Table } from "typeorm";

export class Accounts1764000004000 implements MigrationInterface {
  name = "Accounts1764000004000";

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: "one_time_tokens",
        columns: [
          { name: "id", type: "varchar", length: "36", isPrimary: true },
          { name: "purpose", type: "varchar", length: "32" },
          { name: "user_id", type: "varchar", length: "36" },
          { name: "token_hash", type: "varchar", length: "64", isUnique: true },
          { name: "payload", type: "text" },
          { name: "created_at", type: "bigint" },
          { name: "expires_at", type: "bigint" },
          { name: "used_at", type: "bigint", isNullable: true },
        ],
        foreignKeys: [
          {
            columnNames: ["user_id"],
            referencedTableName: "users",
            referencedColumnNames: ["id"],
            onDelete: "CASCADE",
          },
        ],
        indices: [{ name: "idx_one_time_tokens_user", columnNames: ["user_id", "purpose"] }],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable("one_time_tokens");
  }
}
