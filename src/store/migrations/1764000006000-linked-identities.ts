import { type MigrationInterface, type QueryRunner, Table } from "typeorm";

/**
 * Provider identities (OpenID Connect). The pair (provider, subject) is unique: one identity
 * belongs to one account. The foreign key cascades like every other table that belongs to an
 * account (1764000005300), so deleting a users row removes its identities and sealed tokens.
 */
export class LinkedIdentities1764000006000 implements MigrationInterface {
  name = "LinkedIdentities1764000006000";

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: "linked_identities",
        columns: [
          { name: "id", type: "varchar", length: "36", isPrimary: true },
          { name: "user_id", type: "varchar", length: "36" },
          { name: "provider", type: "varchar", length: "64" },
          { name: "subject", type: "varchar", length: "255" },
          { name: "email", type: "varchar", length: "320", default: "''" },
          { name: "tokens_sealed", type: "text", isNullable: true },
          { name: "tokens_updated_at", type: "bigint", isNullable: true },
          { name: "created_at", type: "bigint" },
          { name: "last_sign_in_at", type: "bigint" },
        ],
        indices: [
          {
            name: "uq_linked_identities_provider_subject",
            columnNames: ["provider", "subject"],
            isUnique: true,
          },
          { name: "idx_linked_identities_user", columnNames: ["user_id"] },
        ],
        foreignKeys: [
          {
            name: "fk_linked_identities_user_id",
            columnNames: ["user_id"],
            referencedTableName: "users",
            referencedColumnNames: ["id"],
            onDelete: "CASCADE",
          },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable("linked_identities");
  }
}
