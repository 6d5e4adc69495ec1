// Optional sign-in at registration on PostgreSQL (the suite: suites/registration-sign-in.ts).
import { createTestDatabase } from "./helpers/postgres.js";
import { registrationSignInSuite } from "./suites/registration-sign-in.js";

registrationSignInSuite("PostgreSQL", async () => {
  const db = await createTestDatabase();
  return { env: { AUTHD_DATABASE_URL: db.url }, drop: db.drop };
});
