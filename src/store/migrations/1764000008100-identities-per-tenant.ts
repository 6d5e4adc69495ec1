import type { MigrationInterface, QueryRunner } from "typeorm";

/** The `default` tenant's id (1764000007000). */
const DEFAULT_TENANT_ID = "00000000-0000-0000-0000-000000000000";

/**
 * Provider identities belong to a tenant, as accounts do: one person's identity at a provider
 * (provider, subject) may sign in to an account in each tenant. `linked_identities.tenant_id` copies
 * the account's tenant (accounts never change tenant), and (tenant_id, provider, subject) replaces
 * (provider, subject) as the unique key. Adding a column and swapping an index need no table rebuild
 * on SQLite, so the same statements run on both databases.
 */
export class IdentitiesPerTenant1764000008100 implements MigrationInterface {
  name = "IdentitiesPerTenant1764000008100";

  async up(q: QueryRunner): Promise<void> {
    // Constants only: nothing here comes from outside.
    await q.query(
      `ALTER TABLE "linked_identities" ADD COLUMN "tenant_id" varchar(36) NOT NULL DEFAULT '${DEFAULT_TENANT_ID}'`,
    );
    await q.query(
      `UPDATE "linked_identities" SET "tenant_id" = COALESCE((SELECT "u"."tenant_id" FROM "users" "u" WHERE "u"."id" = "linked_identities"."user_id"), '${DEFAULT_TENANT_ID}')`,
    );
    await q.query(`DROP INDEX "uq_linked_identities_provider_subject"`);
    await q.query(
      `CREATE UNIQUE INDEX "uq_linked_identities_tenant_provider_subject" ON "linked_identities" ("tenant_id", "provider", "subject")`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    // Fails while one identity is linked in two tenants: which account keeps it is not ours to choose.
    await q.query(`DROP INDEX "uq_linked_identities_tenant_provider_subject"`);
    await q.query(
      `CREATE UNIQUE INDEX "uq_linked_identities_provider_subject" ON "linked_identities" ("provider", "subject")`,
    );
    await q.query(`ALTER TABLE "linked_identities" DROP COLUMN "tenant_id"`);
  }
}
