// Every ErrorReason authd sends, read back as the ErrorInfo detail through the generated clients
// (`err.findDetails(ErrorInfoSchema)`), on Connect and on gRPC or gRPC-Web where the wire matters;
// and the reasons that must not tell more than the message: a locked account answers like a wrong
// password, an unknown account like a known one.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AuthService } from "../../../gen/authd/v1/auth_pb.js";
import { ErrorInfoSchema, ErrorReason, type TokenPair } from "../../../gen/authd/v1/common_pb.js";
import { SessionService } from "../../../gen/authd/v1/session_pb.js";
import { tokenFrom } from "../../helpers/accounts.js";
import { appCode, type MfaHarness, PASSWORD, startMfaHarness } from "../../helpers/mfa.js";
import { type OidcIssuer, startOidcIssuer } from "../../helpers/oidc-issuer.js";
import { protocols, startTestServer } from "../../helpers/server.js";
import { createUser, signIn } from "../../helpers/sessions.js";

const ACCESS_TTL = 900;
let h: MfaHarness;
let issuer: OidcIssuer;
let n = 0;

beforeAll(async () => {
  issuer = await startOidcIssuer("authd-client");
  h = await startMfaHarness({
    AUTHD_LOGIN_MAX_FAILURES: "3",
    AUTHD_LOCKOUT_SECONDS: "900",
    AUTHD_ACCESS_TOKEN_TTL: String(ACCESS_TTL),
    AUTHD_OIDC_PROVIDERS: JSON.stringify([
      { name: "test", issuer: issuer.url, client_ids: [issuer.clientId] },
    ]),
  });
});
afterAll(async () => {
  await h?.close();
  await issuer?.close();
});

const email = (prefix = "reason") => `${prefix}${++n}@example.com`;

interface Failure {
  code: string;
  message: string;
  reason: string;
}

/** How a call failed: its code, message and the reason of its ErrorInfo detail ("none" without one). */
async function failure(call: Promise<unknown>): Promise<Failure> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );
  if (!error) throw new Error("the call should have failed");
  const infos = error.findDetails(ErrorInfoSchema);
  expect(infos.length).toBeLessThanOrEqual(1);
  return {
    code: Code[error.code],
    message: error.rawMessage,
    reason: infos[0] ? ErrorReason[infos[0].reason] : "none",
  };
}

const reasonOf = async (call: Promise<unknown>) => (await failure(call)).reason;

function tokensOf(res: { result: { case: string | undefined; value?: unknown } }): TokenPair {
  if (res.result.case !== "tokens") throw new Error(`expected tokens, got ${res.result.case}`);
  return res.result.value as TokenPair;
}

describe("sign-in", () => {
  test.each(protocols)(
    "a wrong password, an unknown account and a locked account answer alike: INVALID_CREDENTIALS (%s)",
    async (protocol) => {
      const auth = h.server.client(AuthService, protocol);
      const known = email("locked");
      await h.signUp(known);
      const wrong = await failure(auth.login({ identifier: known, password: "not the password" }));
      const unknown = await failure(
        auth.login({ identifier: email("nobody"), password: "not the password" }),
      );
      for (let i = 0; i < 3; i++)
        await failure(auth.login({ identifier: known, password: `wrong ${i} password` }));
      const locked = await failure(auth.login({ identifier: known, password: PASSWORD }));
      expect(wrong).toEqual({
        code: "Unauthenticated",
        message: "invalid credentials",
        reason: "INVALID_CREDENTIALS",
      });
      expect(unknown).toEqual(wrong);
      expect(locked).toEqual(wrong);
    },
  );

  test("the right password of an unverified account: EMAIL_NOT_VERIFIED", async () => {
    const address = email();
    await h.auth.register({ email: address, password: PASSWORD });
    expect(
      await reasonOf(h.server.client(AuthService, "grpc").login({ identifier: address, password: PASSWORD })),
    ).toBe("EMAIL_NOT_VERIFIED");
    // With a wrong password it says nothing more than for any other account.
    expect(await reasonOf(h.auth.login({ identifier: address, password: "not the password" }))).toBe(
      "INVALID_CREDENTIALS",
    );
  });

  test("the right password of a deactivated account: ACCOUNT_DEACTIVATED", async () => {
    const u = await h.user(email());
    await u.auth.requestDeactivation({ currentPassword: PASSWORD });
    await h.auth.confirmDeactivation({ token: tokenFrom(await h.mailTo(u.email, /deactivat/i)) });
    expect(await reasonOf(h.auth.login({ identifier: u.email, password: PASSWORD }))).toBe(
      "ACCOUNT_DEACTIVATED",
    );
  });

  test("too many wrong re-authentication passwords: RATE_LIMITED", async () => {
    const u = await h.user(email());
    let last: Failure | undefined;
    for (let i = 0; i < 50 && last?.code !== "ResourceExhausted"; i++) {
      last = await failure(
        u.auth.changePassword({ currentPassword: "not the password", newPassword: "a fine new passphrase" }),
      );
    }
    expect(last).toMatchObject({ code: "ResourceExhausted", reason: "RATE_LIMITED" });
  });
});

describe("passwords", () => {
  test.each([
    ["short", "Tr0ub4d", "PASSWORD_TOO_SHORT"],
    ["long", "x".repeat(129), "PASSWORD_TOO_LONG"],
    ["common", "password123", "PASSWORD_TOO_COMMON"],
    ["made of the email", "LOCAL-2024!", "PASSWORD_CONTAINS_IDENTIFIER"],
  ])("Register refuses a %s password with its reason (gRPC-Web)", async (_name, password, reason) => {
    const auth = h.server.client(AuthService, "grpc-web");
    const local = `reasons-tester-${++n}`;
    const request = { email: `${local}@example.com`, password: password.replace("LOCAL", local) };
    expect(await reasonOf(auth.register(request))).toBe(reason);
  });

  test("ChangePassword: the same password is PASSWORD_UNCHANGED, a wrong current one INVALID_CREDENTIALS", async () => {
    const u = await h.user(email());
    expect(await reasonOf(u.auth.changePassword({ currentPassword: PASSWORD, newPassword: PASSWORD }))).toBe(
      "PASSWORD_UNCHANGED",
    );
    expect(
      await reasonOf(
        u.auth.changePassword({ currentPassword: "not the password", newPassword: "a fine new passphrase" }),
      ),
    ).toBe("INVALID_CREDENTIALS");
  });

  test("an account without a password asked to confirm one: PASSWORD_NOT_SET; re-authenticating long after its sign-in: REAUTHENTICATION_REQUIRED", async () => {
    const idToken = await issuer.mint(h.server.clock.now(), {
      claims: { sub: `reason-sub-${++n}`, email: email(), email_verified: true },
    });
    const tokens = tokensOf(await h.auth.loginWithProvider({ provider: "test", idToken }));
    const bearer = { authorization: `Bearer ${tokens.accessToken}` };
    expect(
      await reasonOf(
        h.server.client(AuthService, "connect", bearer).requestDeactivation({ currentPassword: "guess" }),
      ),
    ).toBe("PASSWORD_NOT_SET");
    // The re-authentication rule takes a recent sign-in instead (AUTHD_STEP_UP_TTL, 10 minutes).
    h.server.clock.advanceSeconds(11 * 60);
    const stale = await failure(
      h.server
        .client(SessionService, "connect", bearer)
        .createApiKey({ name: "k", scopes: ["sessions:read"], currentPassword: "guess" }),
    );
    expect(stale).toMatchObject({ code: "PermissionDenied", reason: "REAUTHENTICATION_REQUIRED" });
    expect(stale.message).toMatch(/sign in again/);
  });
});

describe("second factors", () => {
  test("a stale second factor: STEP_UP_REQUIRED; a wrong code: INVALID_CODE; a spent challenge: CHALLENGE_EXPIRED", async () => {
    const u = await h.userWithTotp(email());
    h.server.clock.advanceSeconds(11 * 60);
    const sessions = h.server.client(SessionService, "grpc", {
      authorization: `Bearer ${u.tokens.accessToken}`,
    });
    expect(
      await reasonOf(
        sessions.createApiKey({ name: "k", scopes: ["sessions:read"], currentPassword: PASSWORD }),
      ),
    ).toBe("STEP_UP_REQUIRED");

    const res = await h.auth.login({ identifier: u.email, password: PASSWORD });
    if (res.result.case !== "mfaChallenge") throw new Error("expected a challenge");
    const challengeId = res.result.value.challengeId;
    const mfa = h.mfaFor("");
    const code = appCode(u.secret, h.server.clock.now());
    const wrong = code === "000000" ? "111111" : "000000";
    expect(await reasonOf(mfa.verifyChallenge({ challengeId, authenticatorId: u.totpId, code: wrong }))).toBe(
      "INVALID_CODE",
    );
    await mfa.verifyChallenge({ challengeId, authenticatorId: u.totpId, code });
    expect(await reasonOf(mfa.verifyChallenge({ challengeId, authenticatorId: u.totpId, code }))).toBe(
      "CHALLENGE_EXPIRED",
    );
    expect(
      await reasonOf(mfa.verifyChallenge({ challengeId: "mfa_unknown", authenticatorId: u.totpId, code })),
    ).toBe("CHALLENGE_EXPIRED");
  });
});

describe("a code used twice", () => {
  test("a TOTP code accepted once and given again: CODE_ALREADY_USED, at sign-in and at a step-up", async () => {
    const u = await h.userWithTotp(email());
    const code = appCode(u.secret, h.server.clock.now());
    const challenge = async () => {
      const res = await h.auth.login({ identifier: u.email, password: PASSWORD });
      if (res.result.case !== "mfaChallenge") throw new Error("expected a challenge");
      return res.result.value.challengeId;
    };
    const mfa = h.mfaFor("");
    await mfa.verifyChallenge({ challengeId: await challenge(), authenticatorId: u.totpId, code });
    expect(
      await failure(mfa.verifyChallenge({ challengeId: await challenge(), authenticatorId: u.totpId, code })),
    ).toEqual({
      code: "Unauthenticated",
      message: "the code was already used: wait for the next one",
      reason: "CODE_ALREADY_USED",
    });
    expect(await reasonOf(u.mfa.stepUp({ authenticatorId: u.totpId, code }))).toBe("CODE_ALREADY_USED");
    // The next code is new, and a wrong one is still just wrong.
    h.server.clock.advanceSeconds(30);
    const wrong = appCode(u.secret, h.server.clock.now()) === "000000" ? "111111" : "000000";
    expect(await reasonOf(u.mfa.stepUp({ authenticatorId: u.totpId, code: wrong }))).toBe("INVALID_CODE");
    await u.mfa.stepUp({ authenticatorId: u.totpId, code: appCode(u.secret, h.server.clock.now()) });
  });
});

describe("tokens and sessions", () => {
  test.each(protocols)(
    "an access token: TOKEN_EXPIRED once expired, SESSION_REVOKED once signed out, TOKEN_INVALID when forged (%s)",
    async (protocol) => {
      const u = await h.user(email());
      const as = (token: string) =>
        h.server.client(AuthService, protocol, { authorization: `Bearer ${token}` });
      const fresh = await h.login(u.email);
      await as(fresh.accessToken).logout({});
      expect(await reasonOf(as(fresh.accessToken).getCurrentUser({}))).toBe("SESSION_REVOKED");
      const forged = `${u.tokens.accessToken.slice(0, -4)}AAAA`;
      expect(await reasonOf(as(forged).getCurrentUser({}))).toBe("TOKEN_INVALID");
      expect(await reasonOf(as("not-a-token").getCurrentUser({}))).toBe("TOKEN_INVALID");
      h.server.clock.advanceSeconds(ACCESS_TTL + 1);
      expect(await reasonOf(as(u.tokens.accessToken).getCurrentUser({}))).toBe("TOKEN_EXPIRED");
    },
  );

  test("a refresh token: TOKEN_INVALID when unknown, SESSION_REVOKED once presented twice (the session is revoked)", async () => {
    const u = await h.user(email());
    expect(await reasonOf(h.auth.refresh({ refreshToken: "made-up" }))).toBe("TOKEN_INVALID");
    const next = (await h.auth.refresh({ refreshToken: u.tokens.refreshToken })).tokens as TokenPair;
    h.server.clock.advanceSeconds(3600);
    expect(await reasonOf(h.auth.refresh({ refreshToken: u.tokens.refreshToken }))).toBe("SESSION_REVOKED");
    expect(await reasonOf(h.auth.refresh({ refreshToken: next.refreshToken }))).toBe("SESSION_REVOKED");
  });

  test("a refresh token of a session past its absolute end: TOKEN_EXPIRED", async () => {
    const u = await h.user(email());
    const short = tokensOf(
      await h.auth.login({ identifier: u.email, password: PASSWORD, sessionDuration: { seconds: 60n } }),
    );
    h.server.clock.advanceSeconds(61);
    expect(await reasonOf(h.auth.refresh({ refreshToken: short.refreshToken }))).toBe("TOKEN_EXPIRED");
  });

  test("an emailed link's token that cannot be used: TOKEN_INVALID", async () => {
    expect(await reasonOf(h.auth.verifyEmail({ token: "made-up" }))).toBe("TOKEN_INVALID");
    expect(
      await reasonOf(h.auth.resetPassword({ token: "made-up", newPassword: "a fine new passphrase" })),
    ).toBe("TOKEN_INVALID");
  });
});

describe("provider identities", () => {
  test("an unverified account with the provider's email: IDENTITY_LINK_REQUIRED", async () => {
    const address = email();
    await h.auth.register({ email: address, password: PASSWORD });
    const idToken = await issuer.mint(h.server.clock.now(), {
      claims: { sub: `reason-sub-${++n}`, email: address, email_verified: true },
    });
    expect(await reasonOf(h.auth.loginWithProvider({ provider: "test", idToken }))).toBe(
      "IDENTITY_LINK_REQUIRED",
    );
  });

  test("unlinking the only way to sign in: LAST_SIGN_IN_METHOD", async () => {
    const idToken = await issuer.mint(h.server.clock.now(), {
      claims: { sub: `reason-sub-${++n}`, email: email(), email_verified: true },
    });
    const tokens = tokensOf(await h.auth.loginWithProvider({ provider: "test", idToken }));
    const me = h.authed(tokens.accessToken);
    const [identity] = (await me.listLinkedIdentities({})).identities;
    expect(await reasonOf(me.unlinkIdentity({ identityId: identity?.id ?? "" }))).toBe("LAST_SIGN_IN_METHOD");
  });
});

describe("tenants", () => {
  test("a tenant's last admin asking to close their own account: LAST_ADMIN", async () => {
    const client = { ip: "127.0.0.1", rateLimitKey: "127.0.0.1", userAgent: "vitest" };
    const tenant = await h.server.app.tenants.create({ slug: `reasons-${++n}`, name: "R" }, null, client);
    const admin = await createUser(h.server, { tenantId: tenant.id, roles: ["admin"] });
    const me = h.authed((await signIn(h.server, admin.id)).accessToken);
    expect(await failure(me.requestDeactivation({ currentPassword: PASSWORD }))).toMatchObject({
      code: "FailedPrecondition",
      reason: "LAST_ADMIN",
    });
  });
});

describe("captcha", () => {
  test("a missing or refused captcha token: CAPTCHA_FAILED", async () => {
    // Nothing listens on port 9: no token can be verified.
    const server = await startTestServer({
      AUTHD_CAPTCHA_VERIFY_URL: "http://127.0.0.1:9/siteverify",
      AUTHD_CAPTCHA_SECRET: "s3cret",
      AUTHD_OUTBOUND_ALLOW_PRIVATE: "true",
    });
    try {
      const auth = server.client(AuthService);
      expect(await reasonOf(auth.register({ email: email(), password: PASSWORD }))).toBe("CAPTCHA_FAILED");
      expect(await reasonOf(auth.requestPasswordReset({ email: email(), captchaToken: "x" }))).toBe(
        "CAPTCHA_FAILED",
      );
    } finally {
      await server.close();
    }
  });
});

describe("return URLs", () => {
  test.each(protocols)(
    "a continue_url off the allow-list (this server has none): CONTINUE_URL_NOT_ALLOWED (%s)",
    async (protocol) => {
      const auth = h.server.client(AuthService, protocol);
      const continueUrl = "https://evil.example/";
      expect(await failure(auth.requestPasswordReset({ email: email(), continueUrl }))).toMatchObject({
        code: "InvalidArgument",
        reason: "CONTINUE_URL_NOT_ALLOWED",
      });
      expect(await reasonOf(auth.register({ email: email(), password: PASSWORD, continueUrl }))).toBe(
        "CONTINUE_URL_NOT_ALLOWED",
      );
    },
  );
});

describe("without a reason", () => {
  test("an ordinary mistake carries no ErrorInfo", async () => {
    expect(await reasonOf(h.auth.login({ identifier: "", password: "x" }))).toBe("none");
  });
});
