import { type MigrationInterface, type QueryRunner, Table } from "typeorm";

export class Initial1764000000000 implements MigrationInterface {
  name = "Initial1764000000000";

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: "users",
        columns: [
          { name: "id", type: "varchar", length: "36", isPrimary: true },
          { name: "email", type: "varchar", length: "320", isUnique: true },
          { name: "email_verified", type: "boolean", default: false },
          { name: "username", type: "varchar", length: "64", isNullable: true, isUnique: true },
          { name: "first_name", type: "varchar", length: "200", default: "''" },
          { name: "last_name", type: "varchar", length: "200", default: "''" },
          { name: "mobile", type: "varchar", length: "20", default: "''" },
          { name: "mobile_verified", type: "boolean", default: false },
          { name: "language", type: "varchar", length: "35", default: "''" },
          { name: "timezone", type: "varchar", length: "64", default: "''" },
          { name: "settings", type: "text" },
          { name: "status", type: "varchar", length: "16", default: "'active'" },
          { name: "tenant_id", type: "varchar", length: "36", isNullable: true },
          { name: "roles", type: "text" },
          { name: "password_hash", type: "text" },
          { name: "failed_logins", type: "integer", default: 0 },
          { name: "locked_until", type: "bigint", isNullable: true },
          { name: "created_at", type: "bigint" },
          { name: "updated_at", type: "bigint" },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: "audit_events",
        columns: [
          {
            name: "id",
            type: "integer",
            isPrimary: true,
            isGenerated: true,
            generationStrategy: "increment",
          },
          { name: "at", type: "bigint" },
          { name: "type", type: "varchar", length: "64" },
          { name: "user_id", type: "varchar", length: "36", isNullable: true },
          { name: "ip", type: "varchar", length: "64", default: "''" },
          { name: "user_agent", type: "varchar", length: "512", default: "''" },
          { name: "detail", type: "text" },
        ],
        indices: [{ name: "idx_audit_events_user", columnNames: ["user_id", "at"] }],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable("audit_events");
    await q.dropTable("users");
  }
}
