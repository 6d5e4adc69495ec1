// Withdrawing a signing key with two replicas on one PostgreSQL database: the replica that did not
// withdraw it stops validating its tokens within the session cache's bound, without being told.
import { decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, expect, it } from "vitest";
import { SessionService } from "../../../gen/authd/v1/session_pb.js";
import { REVOCATION_BOUND_MS } from "../../../src/domain/sessions/session-cache.js";
import { type AccountsHarness, startAccountsHarness } from "../../helpers/accounts.js";
import { createTestDatabase } from "../../helpers/postgres.js";

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let a: AccountsHarness;
let b: AccountsHarness;

beforeAll(async () => {
  db = await createTestDatabase();
  const env = { AUTHD_DATABASE_URL: db.url, AUTHD_SECRET: "replicas-share-this-master-secret-0123456789" };
  a = await startAccountsHarness(env);
  b = await startAccountsHarness({ ...env, AUTHD_SMTP_URL: a.smtp.url });
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await db?.drop();
});

const isActiveOn = async (replica: AccountsHarness, token: string) =>
  (await replica.server.client(SessionService).validateToken({ token })).active;

it("a key withdrawn on one replica stops validating on the other within the bound, and a refresh there gets the new key", async () => {
  await a.signUp("withdrawn@example.com");
  const before = await a.login("withdrawn@example.com");
  const oldKid = decodeProtectedHeader(before.accessToken).kid;
  // Both replicas have verified (and remember) the token.
  expect(await isActiveOn(a, before.accessToken)).toBe(true);
  expect(await isActiveOn(b, before.accessToken)).toBe(true);

  const { withdrawn, current } = await b.server.internals.signingKeys.withdraw();
  expect(withdrawn).toBe(oldKid);
  expect(await isActiveOn(b, before.accessToken)).toBe(false);

  // Replica a is not told; it re-reads its keys within the bound (real time; margin for a busy machine).
  const started = performance.now();
  while (await isActiveOn(a, before.accessToken)) {
    expect(performance.now() - started).toBeLessThan(REVOCATION_BOUND_MS + 2000);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const refreshed = await a.auth.refresh({ refreshToken: before.refreshToken });
  const fresh = refreshed.tokens?.accessToken ?? "";
  expect(decodeProtectedHeader(fresh).kid).toBe(current);
  expect(await isActiveOn(a, fresh)).toBe(true);
  expect(await isActiveOn(b, fresh)).toBe(true);
});
