import { type MigrationInterface, type QueryRunner, Table } from "typeorm";

export class Sessions1764000001000 implements MigrationInterface {
  name = "Sessions1764000001000";

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: "signing_keys",
        columns: [
          { name: "kid", type: "varchar", length: "64", isPrimary: true },
          { name: "algorithm", type: "varchar", length: "16" },
          { name: "public_jwk", type: "text" },
          { name: "private_jwk_encrypted", type: "text" },
          { name: "created_at", type: "bigint" },
          { name: "retired_at", type: "bigint", isNullable: true },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: "sessions",
        columns: [
          { name: "id", type: "varchar", length: "36", isPrimary: true },
          { name: "user_id", type: "varchar", length: "36" },
          { name: "amr", type: "text" },
          { name: "ip", type: "varchar", length: "64", default: "''" },
          { name: "user_agent", type: "varchar", length: "512", default: "''" },
          { name: "created_at", type: "bigint" },
          { name: "last_used_at", type: "bigint" },
          { name: "expires_at", type: "bigint" },
          { name: "revoked_at", type: "bigint", isNullable: true },
          { name: "revoke_reason", type: "varchar", length: "64", isNullable: true },
        ],
        indices: [{ name: "idx_sessions_user", columnNames: ["user_id", "created_at"] }],
      }),
    );
    await q.createTable(
      new Table({
        name: "refresh_tokens",
        columns: [
          { name: "id", type: "varchar", length: "36", isPrimary: true },
          { name: "session_id", type: "varchar", length: "36" },
          { name: "token_hash", type: "varchar", length: "64", isUnique: true },
          { name: "created_at", type: "bigint" },
          { name: "rotated_at", type: "bigint", isNullable: true },
          { name: "replaced_by", type: "varchar", length: "36", isNullable: true },
          { name: "grace_used_at", type: "bigint", isNullable: true },
        ],
        indices: [{ name: "idx_refresh_tokens_session", columnNames: ["session_id"] }],
      }),
    );
    await q.createTable(
      new Table({
        name: "api_keys",
        columns: [
          { name: "id", type: "varchar", length: "36", isPrimary: true },
          { name: "user_id", type: "varchar", length: "36" },
          { name: "name", type: "varchar", length: "100" },
          { name: "prefix", type: "varchar", length: "64" },
          { name: "secret_hash", type: "varchar", length: "64" },
          { name: "scopes", type: "text" },
          { name: "created_at", type: "bigint" },
          { name: "expires_at", type: "bigint", isNullable: true },
          { name: "last_used_at", type: "bigint", isNullable: true },
          { name: "revoked_at", type: "bigint", isNullable: true },
        ],
        indices: [{ name: "idx_api_keys_user", columnNames: ["user_id", "created_at"] }],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable("api_keys");
    await q.dropTable("refresh_tokens");
    await q.dropTable("sessions");
    await q.dropTable("signing_keys");
  }
}
