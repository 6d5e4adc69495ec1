// Re-authentication of an account without a password (made by a provider sign-in): it has no
// password to give, so a recent sign-in is its proof (as OpenID Connect's max_age and auth_time
// do): the session's own sign-in within AUTHD_STEP_UP_TTL, plus a recent second factor where the
// account has one. Once the sign-in is older, the answer says to sign in again
// (REAUTHENTICATION_REQUIRED); signing in again with the provider makes a fresh session that may.
// An account with a password still gives it, however fresh its session.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ErrorInfoSchema, ErrorReason } from "../../../gen/authd/v1/common_pb.js";
import { AuthenticatorType } from "../../../gen/authd/v1/mfa_pb.js";
import { expectCode } from "../../helpers/accounts.js";
import { appCode, type MfaHarness, PASSWORD, startMfaHarness } from "../../helpers/mfa.js";
import { type OidcIssuer, startOidcIssuer } from "../../helpers/oidc-issuer.js";

const WINDOW_SECONDS = 60;

let h: MfaHarness;
let issuer: OidcIssuer;
let n = 0;

beforeAll(async () => {
  issuer = await startOidcIssuer("authd-client");
  h = await startMfaHarness({
    // Longer than the tests: what ends a re-authentication here is the age of the sign-in.
    AUTHD_ACCESS_TOKEN_TTL: "86400",
    AUTHD_STEP_UP_TTL: String(WINDOW_SECONDS),
    AUTHD_OIDC_PROVIDERS: JSON.stringify([
      { name: "test", issuer: issuer.url, client_ids: [issuer.clientId] },
    ]),
  });
});
afterAll(async () => {
  await h?.close();
  await issuer?.close();
});

const now = () => h.server.clock.now();

async function reasonOf(call: Promise<unknown>): Promise<string> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );
  if (!error) return "ok";
  const info = error.findDetails(ErrorInfoSchema)[0];
  return `${Code[error.code]}/${info ? ErrorReason[info.reason] : "none"}`;
}

/** A person at the provider: an ID token for them, minted now (the test clock). */
function person() {
  const id = ++n;
  return {
    email: `provider-only${id}@example.org`,
    idToken: (sub = `recent-sub-${id}`) =>
      issuer.mint(now(), { claims: { sub, email: `provider-only${id}@example.org` } }),
  };
}

/** Signs in with the provider; answers AuthService as the new session. */
async function providerSignIn(idToken: string, extra: { deviceToken?: string } = {}) {
  const res = await h.auth.loginWithProvider({
    provider: "test",
    idToken,
    accessToken: "provider-access",
    refreshToken: "provider-refresh",
    ...extra,
  });
  if (res.result.case !== "tokens") throw new Error(`expected tokens, got ${res.result.case}`);
  return { auth: h.authed(res.result.value.accessToken), accessToken: res.result.value.accessToken };
}

describe("an account without a password", () => {
  test("right after its provider sign-in it reads its provider tokens, links and unlinks without a password; once the sign-in is older than the window it must sign in again", async () => {
    const p = person();
    const { auth } = await providerSignIn(await p.idToken());
    const [first] = (await auth.listLinkedIdentities({})).identities;
    const identityId = first?.id ?? "";

    const tokens = await auth.getProviderTokens({ identityId });
    expect([tokens.accessToken, tokens.refreshToken]).toEqual(["provider-access", "provider-refresh"]);
    // A second identity: another way in, so that one of them can be unlinked.
    const linked = await auth.linkIdentity({ provider: "test", idToken: await p.idToken("second-subject") });
    const secondId = linked.identity?.id ?? "";
    expect((await auth.listLinkedIdentities({})).identities).toHaveLength(2);

    // The sign-in ages past the window: the same session is refused, with what to do.
    h.server.clock.advanceSeconds(WINDOW_SECONDS + 1);
    const stale = await expectCode(
      auth.getProviderTokens({ identityId }),
      Code.PermissionDenied,
      /sign in again/,
    );
    expect(ErrorReason[stale.findDetails(ErrorInfoSchema)[0]?.reason ?? 0]).toBe("REAUTHENTICATION_REQUIRED");
    expect(await reasonOf(auth.unlinkIdentity({ identityId: secondId }))).toBe(
      "PermissionDenied/REAUTHENTICATION_REQUIRED",
    );
    // A password it does not have changes nothing.
    expect(await reasonOf(auth.getProviderTokens({ identityId, currentPassword: PASSWORD }))).toBe(
      "PermissionDenied/REAUTHENTICATION_REQUIRED",
    );
    expect((await auth.listLinkedIdentities({})).identities).toHaveLength(2);

    // Signing in again with the provider: the new session may, the old one still may not.
    const again = await providerSignIn(await p.idToken());
    expect((await again.auth.getProviderTokens({ identityId })).refreshToken).toBe("provider-refresh");
    await again.auth.unlinkIdentity({ identityId: secondId });
    expect((await again.auth.listLinkedIdentities({})).identities.map((i) => i.id)).toEqual([identityId]);
    expect(await reasonOf(auth.getProviderTokens({ identityId }))).toBe(
      "PermissionDenied/REAUTHENTICATION_REQUIRED",
    );

    // A recent sign-in does not set a first password: that would turn a stolen session into a
    // credential of its own. The first password comes through the emailed reset link.
    expect(await reasonOf(again.auth.changePassword({ newPassword: "the owner's own passphrase" }))).toBe(
      "FailedPrecondition/PASSWORD_NOT_SET",
    );
  });

  test("with a second factor, a recent sign-in that skipped it (a remembered device) still needs a step-up", async () => {
    const p = person();
    const { auth, accessToken } = await providerSignIn(await p.idToken());
    const mfa = h.mfaFor(accessToken);
    // Right after the sign-in, it can enrol a factor: the recent sign-in stands in for a password.
    const created = await mfa.createAuthenticator({ type: AuthenticatorType.TOTP });
    const totpId = created.authenticator?.id ?? "";
    await mfa.verifyAuthenticator({ authenticatorId: totpId, code: appCode(created.totpSecret, now()) });
    h.server.clock.advanceSeconds(WINDOW_SECONDS + 1);

    // A sign-in with the factor, remembering the device.
    const challenged = await h.auth.loginWithProvider({ provider: "test", idToken: await p.idToken() });
    if (challenged.result.case !== "mfaChallenge") throw new Error("expected a challenge");
    const verified = await h.mfaFor("").verifyChallenge({
      challengeId: challenged.result.value.challengeId,
      authenticatorId: totpId,
      code: appCode(created.totpSecret, now()),
      rememberDevice: true,
    });
    h.server.clock.advanceSeconds(WINDOW_SECONDS + 1);

    // The remembered device skips the factor: the session is fresh, but proved no second factor.
    const { auth: remembered, accessToken: rememberedToken } = await providerSignIn(await p.idToken(), {
      deviceToken: verified.deviceToken,
    });
    const [identity] = (await remembered.listLinkedIdentities({})).identities;
    const identityId = identity?.id ?? "";
    expect(await reasonOf(remembered.getProviderTokens({ identityId }))).toBe(
      "PermissionDenied/STEP_UP_REQUIRED",
    );
    h.server.clock.advanceSeconds(30);
    await h
      .mfaFor(rememberedToken)
      .stepUp({ authenticatorId: totpId, code: appCode(created.totpSecret, now()) });
    expect((await remembered.getProviderTokens({ identityId })).refreshToken).toBe("provider-refresh");
    // The first session's sign-in is long past, step-up or not.
    expect(await reasonOf(auth.getProviderTokens({ identityId }))).toBe(
      "PermissionDenied/REAUTHENTICATION_REQUIRED",
    );
  });
});

describe("an account with a password", () => {
  test("still gives it, however fresh its session", async () => {
    const u = await h.user(`with-password${++n}@example.com`);
    const linked = await u.auth.linkIdentity({
      provider: "test",
      idToken: await issuer.mint(now(), { claims: { sub: `pw-sub-${n}`, email: u.email } }),
      refreshToken: "provider-refresh",
      currentPassword: PASSWORD,
    });
    const identityId = linked.identity?.id ?? "";
    await expectCode(u.auth.getProviderTokens({ identityId }), Code.InvalidArgument, /^current_password/);
    await expectCode(u.auth.unlinkIdentity({ identityId }), Code.InvalidArgument, /^current_password/);
    expect((await u.auth.getProviderTokens({ identityId, currentPassword: PASSWORD })).refreshToken).toBe(
      "provider-refresh",
    );
  });
});
