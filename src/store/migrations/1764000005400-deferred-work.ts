import { type MigrationInterface, type QueryRunner, Table } from "typeorm";

export class DeferredWork1764000005400 implements MigrationInterface {
  name = "DeferredWork1764000005400";

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: "deferred_work",
        columns: [
          { name: "id", type: "varchar", length: "36", isPrimary: true },
          { name: "kind", type: "varchar", length: "32" },
          { name: "payload", type: "text" },
          { name: "created_at", type: "bigint" },
        ],
        indices: [{ name: "idx_deferred_work_created", columnNames: ["created_at"] }],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable("deferred_work");
  }
}
