import { type MigrationInterface, type QueryRunner, Table } from "typeorm";

export class Mfa1764000003000 implements MigrationInterface {
  name = "Mfa1764000003000";

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: "mfa_authenticators",
        columns: [
          { name: "id", type: "varchar", length: "36", isPrimary: true },
          { name: "user_id", type: "varchar", length: "36" },
          { name: "type", type: "varchar", length: "16" },
          { name: "active", type: "boolean", default: false },
          { name: "secret_sealed", type: "text", isNullable: true },
          { name: "destination", type: "varchar", length: "320", default: "''" },
          { name: "last_used_step", type: "bigint", isNullable: true },
          { name: "created_at", type: "bigint" },
          { name: "last_used_at", type: "bigint", isNullable: true },
        ],
        indices: [{ name: "idx_mfa_authenticators_user", columnNames: ["user_id"] }],
      }),
    );
    await q.createTable(
      new Table({
        name: "mfa_recovery_codes",
        columns: [
          { name: "id", type: "varchar", length: "36", isPrimary: true },
          { name: "authenticator_id", type: "varchar", length: "36" },
          { name: "code_hash", type: "varchar", length: "64" },
          { name: "used_at", type: "bigint", isNullable: true },
        ],
        indices: [{ name: "idx_mfa_recovery_codes_authenticator", columnNames: ["authenticator_id"] }],
      }),
    );
    await q.createTable(
      new Table({
        name: "mfa_codes",
        columns: [
          { name: "binding", type: "varchar", length: "160", isPrimary: true },
          { name: "user_id", type: "varchar", length: "36" },
          { name: "code_hash", type: "varchar", length: "64" },
          { name: "destination", type: "varchar", length: "320", default: "''" },
          { name: "expires_at", type: "bigint" },
          { name: "created_at", type: "bigint" },
        ],
        indices: [{ name: "idx_mfa_codes_user", columnNames: ["user_id"] }],
      }),
    );
    await q.createTable(
      new Table({
        name: "mfa_challenges",
        columns: [
          { name: "id", type: "varchar", length: "36", isPrimary: true },
          { name: "token_hash", type: "varchar", length: "64", isUnique: true },
          { name: "user_id", type: "varchar", length: "36" },
          { name: "options", type: "text" },
          { name: "expires_at", type: "bigint" },
          { name: "consumed_at", type: "bigint", isNullable: true },
          { name: "created_at", type: "bigint" },
        ],
        indices: [{ name: "idx_mfa_challenges_user", columnNames: ["user_id"] }],
      }),
    );
    await q.createTable(
      new Table({
        name: "mfa_trusted_devices",
        columns: [
          { name: "id", type: "varchar", length: "36", isPrimary: true },
          { name: "user_id", type: "varchar", length: "36" },
          { name: "token_hash", type: "varchar", length: "64", isUnique: true },
          { name: "user_agent", type: "varchar", length: "512", default: "''" },
          { name: "ip_address", type: "varchar", length: "64", default: "''" },
          { name: "created_at", type: "bigint" },
          { name: "expires_at", type: "bigint" },
        ],
        indices: [{ name: "idx_mfa_trusted_devices_user", columnNames: ["user_id"] }],
      }),
    );
    await q.createTable(
      new Table({
        name: "mfa_step_ups",
        columns: [
          { name: "session_id", type: "varchar", length: "64", isPrimary: true },
          { name: "user_id", type: "varchar", length: "36" },
          { name: "verified_at", type: "bigint" },
          { name: "valid_until", type: "bigint" },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: "mfa_failures",
        columns: [
          { name: "failure_key", type: "varchar", length: "160", isPrimary: true },
          { name: "failures", type: "integer", default: 0 },
          { name: "locked_until", type: "bigint", isNullable: true },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      "mfa_failures",
      "mfa_step_ups",
      "mfa_trusted_devices",
      "mfa_challenges",
      "mfa_codes",
      "mfa_recovery_codes",
      "mfa_authenticators",
    ]) {
      await q.dropTable(table);
    }
  }
}
