import { type MigrationInterface, type QueryRunner, Table } from "typeorm";

export class Delivery1764000002000 implements MigrationInterface {
  name = "Delivery1764000002000";

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: "outbox_messages",
        columns: [
          { name: "id", type: "varchar", length: "36", isPrimary: true },
          { name: "kind", type: "varchar", length: "8" },
          { name: "payload", type: "text" },
          { name: "status", type: "varchar", length: "8" },
          { name: "attempts", type: "integer", default: 0 },
          { name: "next_attempt_at", type: "bigint" },
          { name: "locked_until", type: "bigint", isNullable: true },
          { name: "claimed_by", type: "varchar", length: "64", isNullable: true },
          { name: "last_error", type: "varchar", length: "300", isNullable: true },
          { name: "created_at", type: "bigint" },
          { name: "sent_at", type: "bigint", isNullable: true },
        ],
        indices: [{ name: "idx_outbox_messages_due", columnNames: ["status", "next_attempt_at"] }],
      }),
    );
    await q.createTable(
      new Table({
        name: "rate_limits",
        columns: [
          { name: "key", type: "varchar", length: "255", isPrimary: true },
          { name: "window_start", type: "bigint" },
          { name: "count", type: "integer" },
          { name: "expires_at", type: "bigint" },
        ],
        indices: [{ name: "idx_rate_limits_expires", columnNames: ["expires_at"] }],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable("rate_limits");
    await q.dropTable("outbox_messages");
  }
}
