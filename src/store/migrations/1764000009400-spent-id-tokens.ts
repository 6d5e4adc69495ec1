import { type MigrationInterface, type QueryRunner, Table } from "typeorm";

/**
 * `spent_id_tokens`: the provider ID tokens that signed in or linked once, by a SHA-256 key (the
 * primary key: one row per token, whichever replica saw it first), kept until the token expires.
 * The expiry index serves the purge.
 */
export class SpentIdTokens1764000009400 implements MigrationInterface {
  name = "SpentIdTokens1764000009400";

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: "spent_id_tokens",
        columns: [
          { name: "key", type: "varchar", length: "64", isPrimary: true },
          { name: "expires_at", type: "bigint" },
        ],
        indices: [{ name: "idx_spent_id_tokens_expires", columnNames: ["expires_at"] }],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable("spent_id_tokens");
  }
}
