// A provider ID token signs in (or links) once, on SQLite and PostgreSQL (where transactions really
// run side by side), through a real server and the local OpenID Connect issuer.
import { Code, ConnectError } from "@connectrpc/connect";
import { importJWK, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SessionService } from "../../../gen/authd/v1/session_pb.js";
import { CLOCK_SKEW_SECONDS } from "../../../src/domain/identities/id-token.js";
import { purgeSpentIdTokens, spentKeyOf } from "../../../src/domain/identities/replay.js";
import { SpentIdTokenEntity } from "../../../src/store/entities/spent-id-token.js";
import { expectCode, PASSWORD } from "../../helpers/accounts.js";
import { forEachDatabase } from "../../helpers/databases.js";
import { type MfaHarness, startMfaHarness } from "../../helpers/mfa.js";
import { type OidcIssuer, providerEnv, startOidcIssuer } from "../../helpers/oidc-issuer.js";

const USED = /used already/;
const NOT_CANONICAL = /^id_token: is not in canonical base64url/;

// The same signed token written another way. Each still verifies (the tests check it with jose), so
// only authd's memory of spent tokens stands between a captured token and a second sign-in.
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/** P-256's group order n: (r, s) and (r, n - s) are both valid ECDSA signatures of one message. */
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

function parts(token: string): [string, string, string] {
  const [header, payload, signature] = token.split(".");
  return [header as string, payload as string, signature as string];
}

/** The signature's last character with its unused low bit set: the same bytes once decoded. */
function withPaddingBits(token: string): string {
  const [header, payload, signature] = parts(token);
  // An ES256 signature is 64 bytes: 86 characters, the last one carrying 2 bits of data and 4 unused.
  const last = ALPHABET.indexOf(signature.slice(-1));
  return `${header}.${payload}.${signature.slice(0, -1)}${ALPHABET[last ^ 1]}`;
}

/** Whitespace inside the signature, which base64 decoders skip. */
function withWhitespace(token: string): string {
  const [header, payload, signature] = parts(token);
  return `${header}.${payload}.${signature.slice(0, 20)} \n${signature.slice(20)}`;
}

/** An ES256 token with its signature (r, s) rewritten as (r, n - s): "high S", still valid. */
function withHighS(token: string): string {
  const [header, payload, signature] = parts(token);
  const bytes = Buffer.from(signature, "base64url");
  const s = BigInt(`0x${bytes.subarray(32).toString("hex")}`);
  const flipped = Buffer.from((P256_ORDER - s).toString(16).padStart(64, "0"), "hex");
  return `${header}.${payload}.${Buffer.concat([bytes.subarray(0, 32), flipped]).toString("base64url")}`;
}

forEachDatabase("ID token replay", (database) => {
  describe("each provider ID token signs in once", () => {
    let h: MfaHarness;
    let issuer: OidcIssuer;
    let n = 0;
    const person = () => {
      n++;
      return { sub: `replay-${n}`, email: `replay${n}@example.com` };
    };
    // Without a jti unless a test gives one: the token is then remembered by what its signature covers.
    const mint = (claims: Record<string, unknown>) =>
      issuer.mint(h.server.clock.now(), { claims: { jti: undefined, ...claims } });
    const signIn = (idToken: string) => h.auth.loginWithProvider({ provider: "test", idToken });
    const spentRow = (key: string) => h.server.db.read((em) => em.findOneBy(SpentIdTokenEntity, { key }));
    /** jose's own verdict on a token, with the issuer's published key: true when it verifies. */
    const verifies = async (idToken: string) => {
      const key = await importJWK(issuer.current.publicJwk, issuer.current.alg);
      return jwtVerify(idToken, key).then(
        () => true,
        () => false,
      );
    };
    const sessionsOf = async (accessToken: string) =>
      (
        await h.server
          .client(SessionService, "connect", { authorization: `Bearer ${accessToken}` })
          .listSessions({})
      ).sessions.length;

    beforeAll(async () => {
      issuer = await startOidcIssuer();
      h = await startMfaHarness({ ...(await database.env()), ...providerEnv(issuer) });
    });
    afterAll(async () => {
      await h?.close();
      await issuer?.close();
    });

    test("a second sign-in with one ID token is refused as unauthenticated", async () => {
      const idToken = await mint(person());
      const first = await signIn(idToken);
      expect(first.result.case).toBe("tokens");
      h.server.clock.advanceSeconds(1);
      await expectCode(signIn(idToken), Code.Unauthenticated, USED);
    });

    describe("a spent token written another way signs nobody in", () => {
      /** Signs in with a fresh token, then presents `variant(token)`: refused, and no new session. */
      async function replayAs(variant: (token: string) => string, message: RegExp) {
        const idToken = await mint(person());
        const first = await signIn(idToken);
        if (first.result.case !== "tokens") throw new Error("expected tokens");
        const reencoded = variant(idToken);
        expect(reencoded).not.toBe(idToken);
        expect(await verifies(reencoded), "the re-encoded token still verifies").toBe(true);
        h.server.clock.advanceSeconds(1);
        await expectCode(signIn(reencoded), Code.Unauthenticated, message);
        expect(await sessionsOf(first.result.value.accessToken)).toBe(1);
      }

      test("the unused bits of the signature's last character changed: refused as not canonical", async () => {
        await replayAs(withPaddingBits, NOT_CANONICAL);
      });

      test("whitespace inserted into the signature: refused as not canonical", async () => {
        await replayAs(withWhitespace, NOT_CANONICAL);
      });

      test("an ES256 signature rewritten as (r, n - s): refused as used, being the same signed token", async () => {
        await replayAs(withHighS, USED);
      });

      test("the high-S twin used first: the original is then refused", async () => {
        const idToken = await mint(person());
        const twin = withHighS(idToken);
        expect(spentKeyOf(issuer.url, undefined, twin)).toBe(spentKeyOf(issuer.url, undefined, idToken));
        expect((await signIn(twin)).result.case).toBe("tokens");
        h.server.clock.advanceSeconds(1);
        await expectCode(signIn(idToken), Code.Unauthenticated, USED);
      });

      test("re-encoding the payload instead breaks the signature: the text the key covers cannot be rewritten", async () => {
        // A payload whose encoding ends mid-group, so its last character has unused bits to change.
        let token = "";
        for (let pad = ""; token === "" || parts(token)[1].length % 4 === 0; pad += "x") {
          token = await mint({ ...person(), pad });
        }
        const [header, payload, signature] = parts(token);
        const last = ALPHABET.indexOf(payload.slice(-1));
        const reencoded = `${header}.${payload.slice(0, -1)}${ALPHABET[last ^ 1]}.${signature}`;
        expect(Buffer.from(parts(reencoded)[1], "base64url")).toEqual(Buffer.from(payload, "base64url"));
        const verdict = await verifies(reencoded);
        expect(verdict, "the signature covers the payload's text, not its bytes").toBe(false);
        await expectCode(signIn(reencoded), Code.Unauthenticated, NOT_CANONICAL);
      });
    });

    test("without a jti, the same claims signed again (ES256 signs randomly) are the same token", async () => {
      const p = person();
      const idToken = await mint(p);
      const again = await mint(p); // same second, same claims: another signature over the same text
      expect(again).not.toBe(idToken);
      await signIn(idToken);
      await expectCode(signIn(again), Code.Unauthenticated, USED);
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
      // The scheduler's job, run now.
      const purge = () =>
        purgeSpentIdTokens({ uow: h.server.internals.unitOfWork(["spentIdTokens"]), clock: h.server.clock });
      await purge();
      expect(await spentRow(key)).not.toBeNull();
      h.server.clock.advanceSeconds(600 + CLOCK_SKEW_SECONDS);
      expect(await purge()).toBeGreaterThanOrEqual(1);
      expect(await spentRow(key)).toBeNull();
      // Expired, the token verifies nowhere anyway.
      await expectCode(signIn(idToken), Code.Unauthenticated, /expired/);
    });
  });
});
