// A provider ID token signs in (or links) once: written once and run on SQLite
// (provider-replay.test.ts) and PostgreSQL (provider-replay-postgres.test.ts), through a real server
// and the local OpenID Connect issuer.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CLOCK_SKEW_SECONDS } from "../../src/domain/identities/id-token.js";
import { purgeSpentIdTokens, spentKeyOf } from "../../src/domain/identities/replay.js";
import { SpentIdTokenEntity } from "../../src/store/entities/spent-id-token.js";
import { expectCode, PASSWORD } from "../helpers/accounts.js";
import { type MfaHarness, startMfaHarness } from "../helpers/mfa.js";
import { type OidcIssuer, providerEnv, startOidcIssuer } from "../helpers/oidc-issuer.js";

const USED = /used already/;

export function providerReplaySuite(
  name: string,
  env: () => Promise<{ env: Record<string, string>; drop(): Promise<void> }>,
) {
  describe(name, () => {
    let h: MfaHarness;
    let issuer: OidcIssuer;
    let db: { drop(): Promise<void> };
    let n = 0;
    const person = () => {
      n++;
      return { sub: `replay-${n}`, email: `replay${n}@example.com` };
    };
    const mint = (claims: Record<string, unknown>) => issuer.mint(h.server.clock.now(), { claims });
    const signIn = (idToken: string) => h.auth.loginWithProvider({ provider: "test", idToken });
    const spentRow = (key: string) =>
      h.server.app.store.read((em) => em.findOneBy(SpentIdTokenEntity, { key }));

    beforeAll(async () => {
      const setup = await env();
      db = setup;
      issuer = await startOidcIssuer();
      h = await startMfaHarness({ ...setup.env, ...providerEnv(issuer) });
    });
    afterAll(async () => {
      await h?.close();
      await issuer?.close();
      await db?.drop();
    });

    test("a second sign-in with one ID token is refused as unauthenticated", async () => {
      const idToken = await mint(person());
      const first = await signIn(idToken);
      expect(first.result.case).toBe("tokens");
      h.server.clock.advanceSeconds(1);
      await expectCode(signIn(idToken), Code.Unauthenticated, USED);
    });

    test("a token carrying the jti of one already used is refused, even as a different string", async () => {
      const p = person();
      await signIn(await mint({ ...p, jti: `jti-${p.sub}` }));
      // Another signature (ES256 signs randomly) and another iat: the same token by its jti.
      h.server.clock.advanceSeconds(2);
      await expectCode(signIn(await mint({ ...p, jti: `jti-${p.sub}` })), Code.Unauthenticated, USED);
    });

    test("a fresh ID token for the same person still signs in, to the same account", async () => {
      const p = person();
      const first = await signIn(await mint(p));
      h.server.clock.advanceSeconds(1);
      const second = await signIn(await mint(p));
      if (first.result.case !== "tokens" || second.result.case !== "tokens")
        throw new Error("expected tokens");
      const me = (token: string) => h.authed(token).getCurrentUser({});
      expect((await me(second.result.value.accessToken)).user?.id).toBe(
        (await me(first.result.value.accessToken)).user?.id,
      );
    });

    test("of concurrent sign-ins with one ID token, exactly one succeeds", async () => {
      const idToken = await mint(person());
      const answers = await Promise.allSettled(Array.from({ length: 6 }, () => signIn(idToken)));
      const codes = answers.flatMap((a) =>
        a.status === "rejected" ? [ConnectError.from(a.reason).code] : [],
      );
      expect(answers.filter((a) => a.status === "fulfilled")).toHaveLength(1);
      expect(codes).toEqual(Array(5).fill(Code.Unauthenticated));
    });

    test("an ID token that linked an identity links nothing again and signs nobody in", async () => {
      const email = `linker${++n}@example.com`;
      await h.signUp(email);
      const tokens = await h.login(email);
      const auth = h.authed(tokens.accessToken);
      const idToken = await mint({ sub: `linked-${n}`, email });
      await auth.linkIdentity({ provider: "test", idToken, currentPassword: PASSWORD });
      h.server.clock.advanceSeconds(1);
      await expectCode(
        auth.linkIdentity({ provider: "test", idToken, currentPassword: PASSWORD }),
        Code.Unauthenticated,
        USED,
      );
      await expectCode(signIn(idToken), Code.Unauthenticated, USED);
    });

    test("a sign-in that is refused leaves its ID token unspent", async () => {
      // An unverified email with no linked identity: refused before any account is touched.
      const p = person();
      const idToken = await mint({ ...p, email_verified: false });
      await expectCode(signIn(idToken), Code.FailedPrecondition);
      expect(await spentRow(spentKeyOf(issuer.url, undefined, idToken))).toBeNull();
    });

    test("a spent token is remembered until it expires, then purged", async () => {
      const idToken = await mint(person()); // exp: 600 s from now
      await signIn(idToken);
      const key = spentKeyOf(issuer.url, undefined, idToken);
      const row = await spentRow(key);
      expect(row?.expiresAt).toBe(
        (Math.floor(h.server.clock.now() / 1000) + 600 + CLOCK_SKEW_SECONDS) * 1000,
      );
      await purgeSpentIdTokens(h.server.app.identities);
      expect(await spentRow(key)).not.toBeNull();
      h.server.clock.advanceSeconds(600 + CLOCK_SKEW_SECONDS);
      expect(await purgeSpentIdTokens(h.server.app.identities)).toBeGreaterThanOrEqual(1);
      expect(await spentRow(key)).toBeNull();
      // Expired, the token verifies nowhere anyway.
      await expectCode(signIn(idToken), Code.Unauthenticated, /expired/);
    });
  });
}
