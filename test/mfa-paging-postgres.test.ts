// Paging and filters of the MFA lists on PostgreSQL (the suite: suites/mfa-paging.ts).
import { createTestDatabase } from "./helpers/postgres.js";
import { mfaPagingSuite } from "./suites/mfa-paging.js";

mfaPagingSuite("PostgreSQL", async () => {
  const db = await createTestDatabase();
  return { env: { AUTHD_DATABASE_URL: db.url }, drop: db.drop };
});
