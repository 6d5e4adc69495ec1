// Each provider ID token signs in once, on PostgreSQL with transactions really side by side (the
// suite: suites/provider-replay.ts).
import { createTestDatabase } from "./helpers/postgres.js";
import { providerReplaySuite } from "./suites/provider-replay.js";

providerReplaySuite("ID token replay on PostgreSQL", async () => {
  const db = await createTestDatabase();
  return { env: { AUTHD_DATABASE_URL: db.url }, drop: db.drop };
});
