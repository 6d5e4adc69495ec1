// Provider credentials and identity links re-authenticate the caller as ChangePassword does: the
// password, plus a second factor proven recently where the account has one, from a signed-in
// session. A stolen access token (its step-up expired) can no longer read the provider's long-lived
// refresh token (GetProviderTokens), unlink an identity, or link one of its own with a leaked
// password alone.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AuthService } from "../../../gen/authd/v1/auth_pb.js";
import { ErrorInfoSchema, ErrorReason } from "../../../gen/authd/v1/common_pb.js";
import { SessionService } from "../../../gen/authd/v1/session_pb.js";
import { expectCode } from "../../helpers/accounts.js";
import { appCode, type MfaHarness, PASSWORD, type SignedIn, startMfaHarness } from "../../helpers/mfa.js";
import { type OidcIssuer, startOidcIssuer } from "../../helpers/oidc-issuer.js";
import { bearer } from "../../helpers/sessions.js";

let h: MfaHarness;
let issuer: OidcIssuer;
let n = 0;

beforeAll(async () => {
  issuer = await startOidcIssuer("authd-client");
  h = await startMfaHarness({
    AUTHD_ACCESS_TOKEN_TTL: "86400",
    AUTHD_STEP_UP_TTL: "60",
    AUTHD_LOGIN_MAX_FAILURES: "3",
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
const mint = () => {
  n++;
  return issuer.mint(now(), { claims: { sub: `reauth-sub-${n}`, email: `reauth-person${n}@example.org` } });
};

async function reasonOf(call: Promise<unknown>): Promise<string> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );
  if (!error) return "ok";
  const info = error.findDetails(ErrorInfoSchema)[0];
  return `${Code[error.code]}/${info ? ErrorReason[info.reason] : "none"}`;
}

/** Links an identity with provider tokens, re-authenticated as the rule asks; answers its id. */
async function linkWithTokens(u: SignedIn): Promise<string> {
  const linked = await u.auth.linkIdentity({
    provider: "test",
    idToken: await mint(),
    accessToken: "provider-access",
    refreshToken: "provider-refresh",
    currentPassword: PASSWORD,
  });
  return linked.identity?.id ?? "";
}

describe("with a stolen access token on an account with a second factor (its step-up expired)", () => {
  test("GetProviderTokens, UnlinkIdentity and LinkIdentity need the password and a fresh second factor", async () => {
    const u = await h.userWithTotp(`stolen${++n}@example.com`);
    await u.mfa.stepUp({ authenticatorId: u.totpId, code: appCode(u.secret, now()) });
    const identityId = await linkWithTokens(u);
    h.server.clock.advanceSeconds(61);

    await expectCode(u.auth.getProviderTokens({ identityId }), Code.InvalidArgument, /^current_password/);
    expect(await reasonOf(u.auth.getProviderTokens({ identityId, currentPassword: PASSWORD }))).toBe(
      "PermissionDenied/STEP_UP_REQUIRED",
    );
    await expectCode(u.auth.unlinkIdentity({ identityId }), Code.InvalidArgument, /^current_password/);
    expect(await reasonOf(u.auth.unlinkIdentity({ identityId, currentPassword: PASSWORD }))).toBe(
      "PermissionDenied/STEP_UP_REQUIRED",
    );
    // The password no longer skips the step-up when linking.
    expect(
      await reasonOf(
        u.auth.linkIdentity({ provider: "test", idToken: await mint(), currentPassword: PASSWORD }),
      ),
    ).toBe("PermissionDenied/STEP_UP_REQUIRED");
    expect((await u.auth.listLinkedIdentities({})).identities.map((i) => i.id)).toEqual([identityId]);

    // The owner steps up and gives the password: each works.
    h.server.clock.advanceSeconds(30);
    await u.mfa.stepUp({ authenticatorId: u.totpId, code: appCode(u.secret, now()) });
    const tokens = await u.auth.getProviderTokens({ identityId, currentPassword: PASSWORD });
    expect([tokens.accessToken, tokens.refreshToken]).toEqual(["provider-access", "provider-refresh"]);
    await u.auth.linkIdentity({ provider: "test", idToken: await mint(), currentPassword: PASSWORD });
    await u.auth.unlinkIdentity({ identityId, currentPassword: PASSWORD });
    expect((await u.auth.listLinkedIdentities({})).identities).toHaveLength(1);
  });

  test("a recent second factor no longer stands in for the password", async () => {
    const u = await h.userWithTotp(`stepped${++n}@example.com`);
    await u.mfa.stepUp({ authenticatorId: u.totpId, code: appCode(u.secret, now()) });
    await expectCode(
      u.auth.linkIdentity({ provider: "test", idToken: await mint() }),
      Code.InvalidArgument,
      /^current_password/,
    );
    expect((await u.auth.listLinkedIdentities({})).identities).toEqual([]);
  });
});

describe("on an account without a second factor", () => {
  test("the password is needed; a wrong one answers INVALID_CREDENTIALS and counts towards the limit", async () => {
    const u = await h.user(`plain${++n}@example.com`);
    const identityId = await linkWithTokens(u);
    await expectCode(u.auth.getProviderTokens({ identityId }), Code.InvalidArgument, /^current_password/);
    expect(await reasonOf(u.auth.getProviderTokens({ identityId, currentPassword: "a wrong guess" }))).toBe(
      "Unauthenticated/INVALID_CREDENTIALS",
    );
    expect(
      await reasonOf(u.auth.unlinkIdentity({ identityId, currentPassword: "another wrong guess" })),
    ).toBe("Unauthenticated/INVALID_CREDENTIALS");
    const read = await u.auth.getProviderTokens({ identityId, currentPassword: PASSWORD });
    expect(read.refreshToken).toBe("provider-refresh");
    // The right password gave its count back; a third wrong one uses the last try, then the limit holds.
    expect(
      await reasonOf(u.auth.unlinkIdentity({ identityId, currentPassword: "a third wrong guess" })),
    ).toBe("Unauthenticated/INVALID_CREDENTIALS");
    expect(await reasonOf(u.auth.unlinkIdentity({ identityId, currentPassword: PASSWORD }))).toBe(
      "ResourceExhausted/RATE_LIMITED",
    );
    expect((await u.auth.listLinkedIdentities({})).identities.map((i) => i.id)).toEqual([identityId]);
  });

  test("an account made by a provider sign-in has no password to confirm: its recent sign-in stands in (reauth-recent-sign-in.test.ts)", async () => {
    const res = await h.auth.loginWithProvider({
      provider: "test",
      idToken: await mint(),
      refreshToken: "r",
    });
    if (res.result.case !== "tokens") throw new Error("expected tokens");
    const auth = h.authed(res.result.value.accessToken);
    const [identity] = (await auth.listLinkedIdentities({})).identities;
    expect((await auth.getProviderTokens({ identityId: identity?.id ?? "" })).refreshToken).toBe("r");
    h.server.clock.advanceSeconds(61);
    expect(await reasonOf(auth.getProviderTokens({ identityId: identity?.id ?? "" }))).toBe(
      "PermissionDenied/REAUTHENTICATION_REQUIRED",
    );
  });

  test("API keys are refused, whatever their scopes", async () => {
    const u = await h.user(`keyed${++n}@example.com`);
    const identityId = await linkWithTokens(u);
    const { secret } = await h.server
      .client(SessionService, "connect", bearer(u.tokens.accessToken))
      .createApiKey({
        name: "k",
        scopes: ["profile:read", "profile:write", "profile:personal"],
        currentPassword: PASSWORD,
      });
    const key = h.server.client(AuthService, "connect", bearer(secret));
    await expectCode(key.getProviderTokens({ identityId, currentPassword: PASSWORD }), Code.PermissionDenied);
    await expectCode(key.unlinkIdentity({ identityId, currentPassword: PASSWORD }), Code.PermissionDenied);
  });
});
