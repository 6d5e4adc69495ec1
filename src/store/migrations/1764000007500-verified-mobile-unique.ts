import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * A verified mobile number signs in (Login's identifier), so at most one account may hold it: a
 * partial unique index over the verified numbers. Unverified numbers may repeat (anybody may type
 * any number into a profile; only the SMS code proves it).
 *
 * Before the index, a number verified on several accounts stays verified on the oldest account
 * only; the others must verify again (and are refused while the oldest holds it).
 */
export class VerifiedMobileUnique1764000007500 implements MigrationInterface {
  name = "VerifiedMobileUnique1764000007500";

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `UPDATE "users" SET "mobile_verified" = false
       WHERE "mobile_verified" = true AND "mobile" <> '' AND EXISTS (
         SELECT 1 FROM "users" "older"
         WHERE "older"."mobile" = "users"."mobile" AND "older"."mobile_verified" = true
           AND ("older"."created_at" < "users"."created_at"
             OR ("older"."created_at" = "users"."created_at" AND "older"."id" < "users"."id")))`,
    );
    await q.query(
      `CREATE UNIQUE INDEX "uq_users_verified_mobile" ON "users" ("mobile") WHERE "mobile_verified" = true AND "mobile" <> ''`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "uq_users_verified_mobile"`);
  }
}
