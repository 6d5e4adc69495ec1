import { type MigrationInterface, type QueryRunner, TableColumn } from "typeorm";

/** Recovery codes are stored as argon2id PHC strings (about 100 characters), not SHA-256 hex. */
export class MfaRecoveryCodeHash1764000003001 implements MigrationInterface {
  name = "MfaRecoveryCodeHash1764000003001";

  async up(q: QueryRunner): Promise<void> {
    await q.changeColumn(
      "mfa_recovery_codes",
      "code_hash",
      new TableColumn({ name: "code_hash", type: "text" }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.changeColumn(
      "mfa_recovery_codes",
      "code_hash",
      new TableColumn({ name: "code_hash", type: "varchar", length: "64" }),
    );
  }
}
