// Provider sign-in (OpenID Connect) through a real server, against a local issuer the test starts:
// which ID tokens sign in, which are refused, how identities link to accounts, and what an account
// without a password can and cannot do.
import { Code } from "@connectrpc/connect";
import { exportSPKI, importJWK, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AuthService } from "../../../gen/authd/v1/auth_pb.js";
import { AuthMethod } from "../../../gen/authd/v1/common_pb.js";
import { SessionService } from "../../../gen/authd/v1/session_pb.js";
import { loadConfig } from "../../../src/config.js";
import { LinkedIdentityEntity } from "../../../src/store/entities/linked-identity.js";
import { expectCode, tokenFrom } from "../../helpers/accounts.js";
import { appCode, type MfaHarness, PASSWORD, startMfaHarness } from "../../helpers/mfa.js";
import { type OidcIssuer, startOidcIssuer } from "../../helpers/oidc-issuer.js";
import { startTestServer } from "../../helpers/server.js";

let h: MfaHarness;
let issuer: OidcIssuer;
/** A second provider, so that key-fetch counts are not disturbed by the other tests. */
let rotating: OidcIssuer;
let n = 0;

beforeAll(async () => {
  issuer = await startOidcIssuer("authd-client");
  rotating = await startOidcIssuer("authd-client-2");
  h = await startMfaHarness({
    AUTHD_OIDC_PROVIDERS: JSON.stringify([
      { name: "test", issuer: issuer.url, client_ids: [issuer.clientId, "authd-other-client"] },
      { name: "rotating", issuer: rotating.url, client_ids: [rotating.clientId] },
      // Nothing listens on port 9: this provider cannot be reached.
      { name: "down", issuer: "http://127.0.0.1:9", client_ids: ["x"] },
    ]),
  });
});
afterAll(async () => {
  await h?.close();
  await issuer?.close();
  await rotating?.close();
});

const now = () => h.server.clock.now();
/** A fresh subject and email for each test, so tests do not meet each other's accounts. */
function person() {
  n++;
  return { sub: `sub-${n}`, email: `person${n}@example.com` };
}
const mint = (claims: Record<string, unknown>, options: Parameters<OidcIssuer["mint"]>[1] = {}) =>
  issuer.mint(now(), { ...options, claims: { ...options.claims, ...claims } });

async function signIn(idToken: string, extra: Record<string, unknown> = {}) {
  const res = await h.auth.loginWithProvider({ provider: "test", idToken, ...extra });
  if (res.result.case !== "tokens") throw new Error(`expected tokens, got ${res.result.case}`);
  return res.result.value;
}

async function userIdOf(accessToken: string): Promise<string> {
  return (await h.authed(accessToken).getCurrentUser({})).user?.id as string;
}

describe("a valid ID token", () => {
  test("signs in to a new account with the provider's verified email, and again to the same account", async () => {
    const p = person();
    const first = await signIn(await mint({ sub: p.sub, email: p.email }));
    const user = (await h.authed(first.accessToken).getCurrentUser({})).user;
    expect(user?.email).toBe(p.email);
    expect(user?.emailVerified).toBe(true);

    h.server.clock.advanceSeconds(5);
    const second = await signIn(await mint({ sub: p.sub, email: p.email }));
    expect(second.sessionId).not.toBe(first.sessionId);
    expect(await userIdOf(second.accessToken)).toBe(user?.id);

    const listed = await h.authed(second.accessToken).listLinkedIdentities({});
    expect(listed.hasPassword).toBe(false);
    expect(listed.identities.map((i) => [i.provider, i.subject, i.email])).toEqual([
      ["test", p.sub, p.email],
    ]);
  });

  test("marks the session as a federated sign-in (amr fed)", async () => {
    const p = person();
    const tokens = await signIn(await mint({ sub: p.sub, email: p.email }));
    const res = await h.server.client(SessionService).validateToken({ token: tokens.accessToken });
    expect(res.amr).toEqual(["fed"]);
  });

  test("is identified by (provider, sub), never by the email: a changed email reaches the same account", async () => {
    const p = person();
    const first = await signIn(await mint({ sub: p.sub, email: p.email }));
    const second = await signIn(await mint({ sub: p.sub, email: `changed-${p.email}` }));
    expect(await userIdOf(second.accessToken)).toBe(await userIdOf(first.accessToken));
  });

  test("for another of our client ids, with azp naming it, is accepted", async () => {
    const p = person();
    await signIn(
      await mint({ ...p, aud: ["authd-other-client", "someone-else"], azp: "authd-other-client" }),
    );
  });
});

describe("an ID token is refused", () => {
  const refused = async (idToken: string, message: RegExp) =>
    expectCode(h.auth.loginWithProvider({ provider: "test", idToken }), Code.Unauthenticated, message);

  test("for another audience", async () => {
    await refused(await mint({ ...person(), aud: "someone-else" }), /^id_token: .*aud/);
  });

  test("with several audiences and an azp that is not ours", async () => {
    await refused(await mint({ ...person(), aud: ["authd-client", "x"], azp: "x" }), /^id_token: azp/);
  });

  test("from another issuer", async () => {
    await refused(await mint({ ...person(), iss: "https://evil.example" }), /^id_token: .*iss/);
  });

  test("once expired (beyond the allowed skew)", async () => {
    const t = Math.floor(now() / 1000);
    await refused(await mint({ ...person(), iat: t - 3600, exp: t - 61 }), /^id_token: has expired/);
  });

  test("within the skew of its expiry it is still accepted", async () => {
    const t = Math.floor(now() / 1000);
    await signIn(await mint({ ...person(), iat: t - 3600, exp: t - 30 }));
  });

  test("before it is valid (nbf in the future)", async () => {
    await refused(await mint({ ...person(), nbf: Math.floor(now() / 1000) + 300 }), /^id_token: .*nbf/);
  });

  test("issued in the future (iat)", async () => {
    const t = Math.floor(now() / 1000);
    await refused(await mint({ ...person(), iat: t + 300, exp: t + 900 }), /^id_token: .*iat/);
  });

  test("with a tampered payload (the signature no longer verifies)", async () => {
    const token = await mint(person());
    const [header, , signature] = token.split(".");
    const payload = Buffer.from(
      JSON.stringify({
        iss: issuer.url,
        aud: issuer.clientId,
        sub: "victim",
        iat: Math.floor(now() / 1000),
        exp: Math.floor(now() / 1000) + 600,
      }),
    ).toString("base64url");
    await refused(`${header}.${payload}.${signature}`, /^id_token: the signature does not verify/);
  });

  test("signed by another key that claims the published key's kid", async () => {
    const impostor = await issuer.strayKey(issuer.current.kid);
    await refused(await mint(person(), { key: impostor }), /^id_token: the signature does not verify/);
  });

  test("with alg none", async () => {
    const t = Math.floor(now() / 1000);
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const unsigned = `${part({ alg: "none", typ: "JWT" })}.${part({
      iss: issuer.url,
      aud: issuer.clientId,
      sub: "none-sub",
      iat: t,
      exp: t + 600,
      email: "none@example.com",
      email_verified: true,
    })}.`;
    await refused(unsigned, /^id_token: /);
  });

  test("signed with HS256 using the provider's public key as the secret", async () => {
    const publicKey = await importJWK(issuer.current.publicJwk, "ES256");
    const secret = new TextEncoder().encode(await exportSPKI(publicKey as Parameters<typeof exportSPKI>[0]));
    const t = Math.floor(now() / 1000);
    const forged = await new SignJWT({
      ...person(),
      iss: issuer.url,
      aud: issuer.clientId,
      iat: t,
      exp: t + 600,
    })
      .setProtectedHeader({ alg: "HS256", kid: issuer.current.kid })
      .sign(secret);
    await refused(forged, /^id_token: its algorithm is not allowed/);
  });

  test("when it is an access token (typ at+jwt)", async () => {
    await refused(await mint(person(), { header: { typ: "at+jwt" } }), /^id_token: is an access token/);
  });

  test("written in anything but canonical base64url (padding, whitespace), or not in three parts", async () => {
    const [header, payload, signature] = (await mint(person())).split(".") as [string, string, string];
    const notCanonical = /^id_token: is not in canonical base64url/;
    // Each of these decodes to the same bytes as the token itself.
    await refused(`${header}.${payload}.${signature}==`, notCanonical);
    await refused(`${header}.${payload}.${signature}\n`, notCanonical);
    await refused(`${header}.${payload}.\t${signature}`, notCanonical);
    await refused(`${header}.${payload.slice(0, 8)} ${payload.slice(8)}.${signature}`, notCanonical);
    await refused(`${header}.${payload}`, /^id_token: must be three base64url segments/);
  });
});

describe("the nonce", () => {
  test("given and matching: signs in", async () => {
    await signIn(await mint({ ...person(), nonce: "n-123" }), { nonce: "n-123" });
  });

  test("given and different: refused", async () => {
    await expectCode(
      h.auth.loginWithProvider({
        provider: "test",
        idToken: await mint({ ...person(), nonce: "n-1" }),
        nonce: "n-2",
      }),
      Code.Unauthenticated,
      /^id_token: the nonce does not match/,
    );
  });

  test("given but absent from the token: refused", async () => {
    await expectCode(
      h.auth.loginWithProvider({ provider: "test", idToken: await mint(person()), nonce: "n-1" }),
      Code.Unauthenticated,
      /nonce does not match/,
    );
  });

  test("carried by the token but not given: refused, naming the nonce field", async () => {
    await expectCode(
      h.auth.loginWithProvider({ provider: "test", idToken: await mint({ ...person(), nonce: "n-1" }) }),
      Code.InvalidArgument,
      /^nonce: is required/,
    );
  });
});

describe("linking a first sign-in to an existing account", () => {
  test("happens when the provider and authd both verified the email", async () => {
    const p = person();
    const u = await h.user(p.email);
    const tokens = await signIn(await mint(p));
    expect(await userIdOf(tokens.accessToken)).toBe(u.userId);
    // Linking adds a way into the account: its owner is told.
    expect((await h.mailTo(p.email, /was linked/)).text).toContain("test");
  });

  test("is refused when the provider has not verified the email, with the same answer as for an unknown email", async () => {
    const p = person();
    await h.user(p.email);
    const known = await expectCode(
      h.auth.loginWithProvider({ provider: "test", idToken: await mint({ ...p, email_verified: false }) }),
      Code.FailedPrecondition,
      /sign in with your password and link/,
    );
    const unknown = await expectCode(
      h.auth.loginWithProvider({
        provider: "test",
        idToken: await mint({ ...person(), email_verified: false }),
      }),
      Code.FailedPrecondition,
    );
    expect(unknown.rawMessage).toBe(known.rawMessage);
  });

  test("is refused when the account's email is not verified", async () => {
    const p = person();
    await h.auth.register({ email: p.email, password: PASSWORD });
    await h.server.afterReply.settled();
    await expectCode(
      h.auth.loginWithProvider({ provider: "test", idToken: await mint(p) }),
      Code.FailedPrecondition,
      /sign in with your password and link the identity/,
    );
  });
});

describe("an account with a second factor", () => {
  test("gets an MFA challenge, and the session it ends in keeps the federated method", async () => {
    const p = person();
    const u = await h.userWithTotp(p.email);
    const res = await h.auth.loginWithProvider({ provider: "test", idToken: await mint(p) });
    if (res.result.case !== "mfaChallenge") throw new Error("expected a challenge");
    const verified = await h.mfaFor("").verifyChallenge({
      challengeId: res.result.value.challengeId,
      authenticatorId: u.totpId,
      code: appCode(u.secret, now()),
    });
    const accessToken = verified.tokens?.accessToken as string;
    expect(await userIdOf(accessToken)).toBe(u.userId);
    const session = await h.server.client(SessionService).validateToken({ token: accessToken });
    expect(session.amr).toContain("fed");
    expect(session.amr).not.toContain("pwd");
  });
  test("a cookie-mode provider sign-in carrying the device cookie of a remembered sign-in skips the second factor", async () => {
    const p = person();
    const u = await h.userWithTotp(p.email);
    const first = await h.auth.login({
      identifier: p.email,
      password: PASSWORD,
      authMethod: AuthMethod.COOKIE,
    });
    if (first.result.case !== "mfaChallenge") throw new Error("expected a challenge");
    h.server.clock.advanceSeconds(30);
    let setCookies: string[] = [];
    const verified = await h.mfaFor("").verifyChallenge(
      {
        challengeId: first.result.value.challengeId,
        authenticatorId: u.totpId,
        code: appCode(u.secret, now()),
        rememberDevice: true,
      },
      { onHeader: (headers) => (setCookies = headers.getSetCookie()) },
    );
    expect(verified.deviceToken).toBe("");
    const deviceCookie = setCookies.find((line) => line.startsWith("authd_device="))?.split(";")[0] as string;
    expect(deviceCookie).toMatch(/^authd_device=dev_/);

    const withCookie = await h.auth.loginWithProvider(
      { provider: "test", idToken: await mint(p), authMethod: AuthMethod.COOKIE },
      { headers: { cookie: deviceCookie } },
    );
    expect(withCookie.result.case).toBe("tokens");
    const without = await h.auth.loginWithProvider({ provider: "test", idToken: await mint(p) });
    expect(without.result.case).toBe("mfaChallenge");
  });
});

describe("the provider's keys", () => {
  const signInRotating = (idToken: string) => h.auth.loginWithProvider({ provider: "rotating", idToken });
  const mintRotating = (options: Parameters<OidcIssuer["mint"]>[1] = {}) =>
    rotating.mint(now(), { ...options, claims: { ...person(), ...options.claims } });

  test("a rotated key (new kid) is fetched once and accepted; unknown kids do not refetch within the interval", async () => {
    await signInRotating(await mintRotating());
    expect(rotating.jwksRequests).toBe(1);
    expect(rotating.discoveryRequests).toBe(1);

    // Made-up key ids, many of them: at most one refetch per interval.
    h.server.clock.advanceSeconds(61);
    for (let i = 0; i < 5; i++) {
      const stray = await rotating.strayKey(`made-up-${i}`);
      await expectCode(
        signInRotating(await mintRotating({ key: stray })),
        Code.Unauthenticated,
        /does not publish/,
      );
    }
    expect(rotating.jwksRequests).toBe(2);

    // The provider rotates: the new kid is fetched once the interval has passed, and accepted.
    h.server.clock.advanceSeconds(61);
    await rotating.rotate({ dropOld: true });
    await signInRotating(await mintRotating());
    expect(rotating.jwksRequests).toBe(3);
    await signInRotating(await mintRotating());
    expect(rotating.jwksRequests).toBe(3);
  });

  test("kept past their hour while the provider is down, rather than refusing every sign-in", async () => {
    h.server.clock.advanceSeconds(3601);
    rotating.failing = true;
    try {
      await signInRotating(await mintRotating());
    } finally {
      rotating.failing = false;
    }
  });

  test("that cannot be fetched at all answer Unavailable", async () => {
    await expectCode(
      h.auth.loginWithProvider({ provider: "down", idToken: await mint(person()) }),
      Code.Unavailable,
      /try again later/,
    );
  });
});

describe("linking and unlinking", () => {
  test("a password reset unlinks every identity: one linked from a stolen session no longer reaches the account", async () => {
    const u = await h.user(person().email);
    // A thief holding a session and the password links their own provider identity.
    const thief = { ...person(), email: "thief@example.org" };
    await u.auth.linkIdentity({ provider: "test", idToken: await mint(thief), currentPassword: PASSWORD });
    expect(await userIdOf((await signIn(await mint(thief))).accessToken)).toBe(u.userId);

    // The owner recovers the account.
    await h.auth.requestPasswordReset({ email: u.email });
    await h.auth.resetPassword({
      token: tokenFrom(await h.mailTo(u.email, /reset/i)),
      newPassword: "a recovered passphrase",
    });
    expect((await h.mailTo(u.email, /password was reset/i)).text).toMatch(/unlinked/i);
    const rows = await h.server.db.transaction((em) => em.findBy(LinkedIdentityEntity, { userId: u.userId }));
    expect(rows).toEqual([]);
    // The thief's identity is now a stranger to this account.
    expect(await userIdOf((await signIn(await mint(thief))).accessToken)).not.toBe(u.userId);
  });

  test("a password account links an identity with its password, then signs in with it", async () => {
    const u = await h.user(person().email);
    const other = person();
    const linked = await u.auth.linkIdentity({
      provider: "test",
      idToken: await mint({ ...other, email: "different@example.org" }),
      currentPassword: PASSWORD,
    });
    expect(linked.identity?.subject).toBe(other.sub);
    const tokens = await signIn(await mint({ ...other, email: "different@example.org" }));
    expect(await userIdOf(tokens.accessToken)).toBe(u.userId);
  });

  test("linking needs the password (or a recent second factor), and a wrong one is refused", async () => {
    const u = await h.user(person().email);
    const idToken = await mint(person());
    await expectCode(
      u.auth.linkIdentity({ provider: "test", idToken }),
      Code.InvalidArgument,
      /^current_password/,
    );
    await expectCode(
      u.auth.linkIdentity({ provider: "test", idToken, currentPassword: "wrong password here" }),
      Code.Unauthenticated,
      /current_password/,
    );
    expect((await u.auth.listLinkedIdentities({})).identities).toEqual([]);
  });

  test("an account with a second factor links with its password and a recent step-up", async () => {
    const u = await h.userWithTotp(person().email);
    await u.mfa.stepUp({ authenticatorId: u.totpId, code: appCode(u.secret, now()) });
    const res = await u.auth.linkIdentity({
      provider: "test",
      idToken: await mint(person()),
      currentPassword: PASSWORD,
    });
    expect(res.identity?.provider).toBe("test");
  });

  test("an ID token older than ten minutes cannot link", async () => {
    const u = await h.user(person().email);
    const t = Math.floor(now() / 1000);
    const idToken = await mint({ ...person(), exp: t + 3600 });
    // Ten minutes and the allowed skew later: still within exp, but too old to prove anything now.
    h.server.clock.advanceSeconds(600 + 61);
    await expectCode(
      u.auth.linkIdentity({ provider: "test", idToken, currentPassword: PASSWORD }),
      Code.Unauthenticated,
      /^id_token: has expired \(iat/,
    );
  });

  test("an identity linked to another account cannot be linked again", async () => {
    const p = person();
    await signIn(await mint(p));
    const u = await h.user(person().email);
    await expectCode(
      u.auth.linkIdentity({ provider: "test", idToken: await mint(p), currentPassword: PASSWORD }),
      Code.AlreadyExists,
    );
  });

  test("the last way to sign in cannot be unlinked; with another identity, an account without a password unlinks it right after signing in", async () => {
    const p = person();
    const tokens = await signIn(await mint(p));
    const auth = h.authed(tokens.accessToken);
    const [only] = (await auth.listLinkedIdentities({})).identities;
    await expectCode(
      auth.unlinkIdentity({ identityId: only?.id as string }),
      Code.FailedPrecondition,
      /only way/,
    );

    // A second identity with the same verified email joins the account; either may go now. The
    // account has no password to give: its recent sign-in re-authenticates it (a password given is
    // ignored; security/reauth-recent-sign-in.test.ts has the sign-in growing old).
    await signIn(await mint({ sub: `${p.sub}-second`, email: p.email }));
    expect((await auth.listLinkedIdentities({})).identities).toHaveLength(2);
    await auth.unlinkIdentity({ identityId: only?.id as string, currentPassword: "anything" });
    expect((await auth.listLinkedIdentities({})).identities).toHaveLength(1);
  });

  test("an account without a password links another identity right after signing in, a password given or not", async () => {
    const tokens = await signIn(await mint(person()));
    const auth = h.authed(tokens.accessToken);
    await auth.linkIdentity({
      provider: "test",
      idToken: await mint(person()),
      currentPassword: "anything at all",
    });
    await auth.linkIdentity({ provider: "test", idToken: await mint(person()) });
    expect((await auth.listLinkedIdentities({})).identities).toHaveLength(3);
  });

  test("a password account may unlink its only identity", async () => {
    const u = await h.user(person().email);
    const linked = await u.auth.linkIdentity({
      provider: "test",
      idToken: await mint(person()),
      currentPassword: PASSWORD,
    });
    await u.auth.unlinkIdentity({ identityId: linked.identity?.id as string, currentPassword: PASSWORD });
    expect((await u.auth.listLinkedIdentities({})).identities).toEqual([]);
    await h.mailTo(u.email, /was unlinked/);
  });

  test("another account's identity is not found", async () => {
    const a = await signIn(await mint(person()));
    const [identity] = (await h.authed(a.accessToken).listLinkedIdentities({})).identities;
    const b = await h.user(person().email);
    await expectCode(b.auth.unlinkIdentity({ identityId: identity?.id as string }), Code.NotFound);
  });
});

describe("provider tokens", () => {
  test("given at sign-in are stored sealed and read back by their owner only, with its password", async () => {
    const owner = await h.user(person().email);
    const p = person();
    await owner.auth.linkIdentity({ provider: "test", idToken: await mint(p), currentPassword: PASSWORD });
    await signIn(await mint(p), { accessToken: "provider-access-1", refreshToken: "provider-refresh-1" });
    const [identity] = (await owner.auth.listLinkedIdentities({})).identities;
    expect(identity?.hasProviderTokens).toBe(true);
    const read = await owner.auth.getProviderTokens({
      identityId: identity?.id as string,
      currentPassword: PASSWORD,
    });
    expect([read.accessToken, read.refreshToken]).toEqual(["provider-access-1", "provider-refresh-1"]);

    const row = await h.server.db.read((em) =>
      em.findOneByOrFail(LinkedIdentityEntity, { id: identity?.id }),
    );
    expect(row.tokensSealed).not.toContain("provider-access-1");
    expect(row.tokensSealed).not.toContain("provider-refresh-1");

    const stranger = await h.user(person().email);
    await expectCode(stranger.auth.getProviderTokens({ identityId: identity?.id as string }), Code.NotFound);
  });

  test("are replaced by a later sign-in that gives new ones", async () => {
    const owner = await h.user(person().email);
    const p = person();
    await owner.auth.linkIdentity({
      provider: "test",
      idToken: await mint(p),
      accessToken: "old-access",
      currentPassword: PASSWORD,
    });
    await signIn(await mint(p), { accessToken: "new-access" });
    const [identity] = (await owner.auth.listLinkedIdentities({})).identities;
    const read = await owner.auth.getProviderTokens({
      identityId: identity?.id as string,
      currentPassword: PASSWORD,
    });
    expect(read.accessToken).toBe("new-access");
  });
});

describe("an account without a password", () => {
  test("verifies no password at Login, refuses ChangePassword even right after signing in, and a reset sets one", async () => {
    const p = person();
    const tokens = await signIn(await mint(p));
    // A fresh session re-authenticates an account without a password for most changes, but a first
    // password comes only through the emailed link: a stolen session must not set one.
    await expectCode(
      h.authed(tokens.accessToken).changePassword({ newPassword: "a brand new passphrase" }),
      Code.FailedPrecondition,
      /no password yet/,
    );
    await expectCode(h.auth.login({ identifier: p.email, password: "" }), Code.InvalidArgument);
    await expectCode(
      h.auth.login({ identifier: p.email, password: "any password at all" }),
      Code.Unauthenticated,
    );

    await h.auth.requestPasswordReset({ email: p.email });
    await h.auth.resetPassword({
      token: tokenFrom(await h.mailTo(p.email, /reset/i)),
      newPassword: PASSWORD,
    });
    const signedIn = await h.login(p.email);
    expect(await userIdOf(signedIn.accessToken)).toBe(
      await userIdOf((await signIn(await mint(p))).accessToken),
    );
    expect((await h.authed(signedIn.accessToken).listLinkedIdentities({})).hasPassword).toBe(true);
  });
});

describe("deleting an account", () => {
  test("removes its identities: the same provider identity then makes a new account", async () => {
    const p = person();
    const u = await h.user(p.email);
    await u.auth.linkIdentity({ provider: "test", idToken: await mint(p), currentPassword: PASSWORD });
    await u.auth.requestDeletion({ currentPassword: PASSWORD });
    await h.auth.confirmDeletion({ token: tokenFrom(await h.mailTo(p.email, /deletion/i)) });

    const left = await h.server.db.read((em) => em.countBy(LinkedIdentityEntity, { userId: u.userId }));
    expect(left).toBe(0);
    const tokens = await signIn(await mint(p));
    expect(await userIdOf(tokens.accessToken)).not.toBe(u.userId);
  });
});

describe("input validation", () => {
  test("names the field at fault", async () => {
    const idToken = await mint(person());
    await expectCode(h.auth.loginWithProvider({ idToken }), Code.InvalidArgument, /^provider: is required/);
    await expectCode(
      h.auth.loginWithProvider({ provider: "nope", idToken }),
      Code.InvalidArgument,
      /^provider: .*not a configured provider/,
    );
    await expectCode(
      h.auth.loginWithProvider({ provider: "test" }),
      Code.InvalidArgument,
      /^id_token: is required/,
    );
    await expectCode(
      h.auth.loginWithProvider({ provider: "test", idToken: "not.a.jwt" }),
      Code.Unauthenticated,
      /^id_token: /,
    );
    await expectCode(
      h.auth.loginWithProvider({ provider: "test", idToken, accessToken: "x".repeat(9000) }),
      Code.InvalidArgument,
      /^access_token: is too long/,
    );
    const u = await h.user(person().email);
    await expectCode(
      u.auth.unlinkIdentity({ identityId: "" }),
      Code.InvalidArgument,
      /^identity_id: is required/,
    );
    await expectCode(u.auth.getProviderTokens({ identityId: "nope" }), Code.InvalidArgument, /^identity_id/);
  });

  test("the identity RPCs need a caller", async () => {
    await expectCode(h.auth.listLinkedIdentities({}), Code.Unauthenticated);
    await expectCode(h.auth.unlinkIdentity({ identityId: "x" }), Code.Unauthenticated);
    await expectCode(h.auth.getProviderTokens({ identityId: "x" }), Code.Unauthenticated);
    await expectCode(h.auth.linkIdentity({ provider: "test", idToken: "x" }), Code.Unauthenticated);
  });
});

describe("AUTHD_OIDC_PROVIDERS", () => {
  const load = (value: string) => () => loadConfig({ AUTHD_OIDC_PROVIDERS: value });

  test("is validated, with errors naming the variable", () => {
    expect(load("not json")).toThrow(/^AUTHD_OIDC_PROVIDERS: must be a JSON array/);
    expect(load('[{"name":"Bad Name","issuer":"https://a.example","client_ids":["x"]}]')).toThrow(
      /^AUTHD_OIDC_PROVIDERS: provider 1: name/,
    );
    expect(load('[{"name":"a","issuer":"http://a.example","client_ids":["x"]}]')).toThrow(/https/);
    expect(load('[{"name":"a","issuer":"https://a.example","client_ids":[]}]')).toThrow(/client_ids/);
    expect(
      load(
        '[{"name":"a","issuer":"https://a.example","client_ids":["x"]},{"name":"a","issuer":"https://b.example","client_ids":["y"]}]',
      ),
    ).toThrow(/used twice/);
    expect(load('[{"name":"a","issuer":"https://a.example","client_ids":["x"],"secret":"s"}]')).toThrow(
      /unknown field "secret"/,
    );
  });

  test("accepts providers with an optional JWKS URL", () => {
    const config = loadConfig({
      AUTHD_OIDC_PROVIDERS:
        '[{"name":"google","issuer":"https://accounts.google.com","client_ids":["x"],"jwks_url":"https://www.googleapis.com/oauth2/v3/certs"}]',
    });
    expect(config.oidcProviders).toEqual([
      {
        name: "google",
        issuer: "https://accounts.google.com",
        clientIds: ["x"],
        jwksUrl: "https://www.googleapis.com/oauth2/v3/certs",
      },
    ]);
  });
});

describe("failed provider sign-ins from one address", () => {
  test("are limited like Login's, and a valid token does not count", async () => {
    const server = await startTestServer({
      AUTHD_LOGIN_MAX_FAILURES_PER_IP: "3",
      AUTHD_OUTBOUND_ALLOW_PRIVATE: "true",
      AUTHD_OIDC_PROVIDERS: JSON.stringify([
        { name: "test", issuer: issuer.url, client_ids: [issuer.clientId] },
      ]),
    });
    try {
      const auth = server.client(AuthService);
      const valid = () => issuer.mint(server.clock.now(), { claims: person() });
      const bad = () => issuer.mint(server.clock.now(), { claims: { ...person(), aud: "someone-else" } });
      await auth.loginWithProvider({ provider: "test", idToken: await valid() });
      for (let i = 0; i < 3; i++) {
        await expectCode(
          auth.loginWithProvider({ provider: "test", idToken: await bad() }),
          Code.Unauthenticated,
        );
      }
      await expectCode(
        auth.loginWithProvider({ provider: "test", idToken: await valid() }),
        Code.ResourceExhausted,
        /too many failed sign-ins/,
      );
    } finally {
      await server.close();
    }
  });
});
