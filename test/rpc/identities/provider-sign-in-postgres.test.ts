// Provider identities on PostgreSQL: the migration's uniqueness and cascade, and the races a first
// sign-in and an unlink must survive when transactions really run side by side.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { LinkedIdentityEntity } from "../../../src/store/entities/linked-identity.js";
import { type MfaHarness, startMfaHarness } from "../../helpers/mfa.js";
import { type OidcIssuer, providerEnv, startOidcIssuer } from "../../helpers/oidc-issuer.js";
import { createTestDatabase } from "../../helpers/postgres.js";

function failureCodes(answers: PromiseSettledResult<unknown>[]): Code[] {
  const codes = answers.flatMap((a) => (a.status === "rejected" ? [ConnectError.from(a.reason).code] : []));
  expect(codes).not.toContain(Code.Internal);
  return codes;
}

describe("provider identities on PostgreSQL", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let issuer: OidcIssuer;
  let h: MfaHarness;
  const mint = (claims: Record<string, unknown>) => issuer.mint(h.server.clock.now(), { claims });
  const identityRows = (where: { provider?: string; subject: string }) =>
    h.server.db.read((em) => em.findBy(LinkedIdentityEntity, where));

  beforeAll(async () => {
    db = await createTestDatabase();
    issuer = await startOidcIssuer();
    h = await startMfaHarness({ AUTHD_DATABASE_URL: db.url, ...providerEnv(issuer) });
  });
  afterAll(async () => {
    await h?.close();
    await issuer?.close();
    await db?.drop();
  });

  test("concurrent first sign-ins of one identity make one account, and none fails", async () => {
    // Six tokens of one identity (one token signs in once: provider-replay tests).
    const idTokens = await Promise.all(
      Array.from({ length: 6 }, () => mint({ sub: "race-1", email: "race1@example.com" })),
    );
    const answers = await Promise.allSettled(
      idTokens.map((idToken) => h.auth.loginWithProvider({ provider: "test", idToken })),
    );
    expect(failureCodes(answers)).toEqual([]);
    const rows = await identityRows({ provider: "test", subject: "race-1" });
    expect(rows).toHaveLength(1);
  });

  test("(provider, subject) is unique in the table itself", async () => {
    await h.auth.loginWithProvider({
      provider: "test",
      idToken: await mint({ sub: "unique-1", email: "unique1@example.com" }),
    });
    const [row] = await identityRows({ subject: "unique-1" });
    const copy = { ...row, id: "00000000-0000-4000-8000-000000000001" };
    await expect(h.server.db.transaction((em) => em.insert(LinkedIdentityEntity, copy))).rejects.toThrow(
      /unique|duplicate/i,
    );
  });

  test("deleting the users row cascades to its identities", async () => {
    await h.auth.loginWithProvider({
      provider: "test",
      idToken: await mint({ sub: "cascade-1", email: "cascade1@example.com" }),
    });
    const [row] = await identityRows({ subject: "cascade-1" });
    await h.server.db.transaction((em) => em.query("DELETE FROM users WHERE id = $1", [row?.userId]));
    expect(await identityRows({ subject: "cascade-1" })).toEqual([]);
  });

  // Such an account re-authenticates by its recent sign-in, so both unlinks reach the write: its
  // re-check, with the account row held, lets exactly one go and keeps the other as the way in.
  test("of two concurrent unlinks by an account without a password, exactly one goes: the other is its last way in", async () => {
    const email = "unlink-race@example.com";
    await h.auth.loginWithProvider({ provider: "test", idToken: await mint({ sub: "ur-1", email }) });
    const res = await h.auth.loginWithProvider({
      provider: "test",
      idToken: await mint({ sub: "ur-2", email }),
    });
    if (res.result.case !== "tokens") throw new Error("expected tokens");
    const auth = h.authed(res.result.value.accessToken);
    const { identities } = await auth.listLinkedIdentities({});
    expect(identities).toHaveLength(2);
    const answers = await Promise.allSettled(
      identities.map((i) => auth.unlinkIdentity({ identityId: i.id })),
    );
    expect(failureCodes(answers)).toEqual([Code.FailedPrecondition]);
    expect((await auth.listLinkedIdentities({})).identities).toHaveLength(1);
  });
});
