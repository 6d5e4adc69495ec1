// Verified mobile numbers and usernames as identifiers, on PostgreSQL (the suite: suites/identifiers.ts).
import { createTestDatabase } from "./helpers/postgres.js";
import { identifierSuite } from "./suites/identifiers.js";

identifierSuite("identifiers on PostgreSQL", async () => {
  const db = await createTestDatabase();
  return { env: { AUTHD_DATABASE_URL: db.url }, drop: db.drop };
});
