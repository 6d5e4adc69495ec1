// The sign-in answer names the user: every RPC that hands out tokens (Login, Refresh,
// VerifyChallenge, LoginWithProvider) carries the account id in TokenPair.user_id, in token and in
// cookie mode, on every protocol.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AuthService } from "../../../gen/authd/v1/auth_pb.js";
import { AuthMethod, type TokenPair } from "../../../gen/authd/v1/common_pb.js";
import { appCode, type MfaHarness, PASSWORD, startMfaHarness } from "../../helpers/mfa.js";
import { type OidcIssuer, startOidcIssuer } from "../../helpers/oidc-issuer.js";
import { protocols } from "../../helpers/server.js";

let h: MfaHarness;
let issuer: OidcIssuer;
let n = 0;

beforeAll(async () => {
  issuer = await startOidcIssuer("authd-client");
  h = await startMfaHarness({
    AUTHD_OIDC_PROVIDERS: JSON.stringify([
      { name: "test", issuer: issuer.url, client_ids: [issuer.clientId] },
    ]),
  });
});
afterAll(async () => {
  await h?.close();
  await issuer?.close();
});

const email = () => `answer${++n}@example.com`;

function tokensOf(res: { result: { case: string | undefined; value?: unknown } }): TokenPair {
  if (res.result.case !== "tokens") throw new Error(`expected tokens, got ${res.result.case}`);
  return res.result.value as TokenPair;
}

describe("TokenPair.user_id", () => {
  test.each(protocols)("Login and Refresh answer the account id (%s)", async (protocol) => {
    const u = await h.user(email());
    const auth = h.server.client(AuthService, protocol);
    const tokens = tokensOf(await auth.login({ identifier: u.email, password: PASSWORD }));
    expect(tokens.userId).toBe(u.userId);
    const refreshed = (await auth.refresh({ refreshToken: tokens.refreshToken })).tokens;
    expect(refreshed?.userId).toBe(u.userId);
  });

  test("a cookie-mode Login answers the account id beside the session id, without the secrets", async () => {
    const u = await h.user(email());
    const tokens = tokensOf(
      await h.auth.login({ identifier: u.email, password: PASSWORD, authMethod: AuthMethod.COOKIE }),
    );
    expect(tokens.accessToken).toBe("");
    expect(tokens.userId).toBe(u.userId);
  });

  test("VerifyChallenge answers the account id", async () => {
    const u = await h.userWithTotp(email());
    const res = await h.auth.login({ identifier: u.email, password: PASSWORD });
    if (res.result.case !== "mfaChallenge") throw new Error("expected a challenge");
    h.server.clock.advanceSeconds(30);
    const answer = await h.mfaFor("").verifyChallenge({
      challengeId: res.result.value.challengeId,
      authenticatorId: u.totpId,
      code: appCode(u.secret, h.server.clock.now()),
    });
    expect(answer.tokens?.userId).toBe(u.userId);
  });

  test("LoginWithProvider answers the id of the account it signed in to", async () => {
    const idToken = await issuer.mint(h.server.clock.now(), {
      claims: { sub: `answer-sub-${++n}`, email: email(), email_verified: true },
    });
    const tokens = tokensOf(await h.auth.loginWithProvider({ provider: "test", idToken }));
    const me = await h.authed(tokens.accessToken).getCurrentUser({});
    expect(tokens.userId).toBe(me.user?.id);
    expect(tokens.userId).not.toBe("");
  });
});
