import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * A verified mobile number signs in to the tenant named at sign-in, so it need be unique within a
 * tenant only, as email and username are: one person may verify one number in each company. The
 * partial unique index of 1764000007500 becomes (tenant_id, mobile) over the verified numbers.
 * Dropping and creating an index needs no table rebuild, so the same statements run on both
 * databases.
 */
export class VerifiedMobilePerTenant1764000008200 implements MigrationInterface {
  name = "VerifiedMobilePerTenant1764000008200";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "uq_users_verified_mobile"`);
    await q.query(
      `CREATE UNIQUE INDEX "uq_users_tenant_verified_mobile" ON "users" ("tenant_id", "mobile") WHERE "mobile_verified" = true AND "mobile" <> ''`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    // Fails while one number is verified in two tenants: which account keeps it is not ours to choose.
    await q.query(`DROP INDEX "uq_users_tenant_verified_mobile"`);
    await q.query(
      `CREATE UNIQUE INDEX "uq_users_verified_mobile" ON "users" ("mobile") WHERE "mobile_verified" = true AND "mobile" <> ''`,
    );
  }
}
