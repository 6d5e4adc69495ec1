// Sign-in with a second factor: challenges (single use, expiry), amr, cookie mode, sign-out of
// other sessions, trusted devices, password change and reset, and step-up before sensitive changes.
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AuthService } from "../../../gen/authd/v1/auth_pb.js";
import { AuthMethod, SessionScope, type TokenPair } from "../../../gen/authd/v1/common_pb.js";
import { AuthenticatorType, type MfaChallenge, MfaService } from "../../../gen/authd/v1/mfa_pb.js";
import { SessionService } from "../../../gen/authd/v1/session_pb.js";
import { purgeExpired } from "../../../src/domain/mfa/index.js";
import { MFA_REPOSITORIES } from "../../../src/domain/persistence.js";
import { MfaChallengeEntity, MfaTrustedDeviceEntity } from "../../../src/store/entities/mfa.js";
import { expectCode, tokenFrom } from "../../helpers/accounts.js";
import { appCode, type MfaHarness, PASSWORD, startMfaHarness } from "../../helpers/mfa.js";

function claims(accessToken: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(accessToken.split(".")[1] as string, "base64url").toString("utf8"));
}

describe("sign-in with a second factor", () => {
  let h: MfaHarness;
  let n = 0;
  const now = () => h.server.clock.now();

  beforeAll(async () => {
    h = await startMfaHarness({ AUTHD_ACCESS_TOKEN_TTL: "86400" });
  });
  afterAll(async () => {
    await h?.close();
  });

  const mfaUser = (prefix = "user") => h.userWithTotp(`${prefix}${++n}@example.com`);

  async function challenge(email: string, extra: Record<string, unknown> = {}): Promise<MfaChallenge> {
    const res = await h.auth.login({ identifier: email, password: PASSWORD, ...extra });
    if (res.result.case !== "mfaChallenge") throw new Error(`expected a challenge, got ${res.result.case}`);
    return res.result.value;
  }

  async function signInWithTotp(u: Awaited<ReturnType<typeof mfaUser>>, extra: Record<string, unknown> = {}) {
    const c = await challenge(u.email, extra);
    h.server.clock.advanceSeconds(30);
    const mfa = h.mfaFor("");
    return mfa.verifyChallenge({
      challengeId: c.challengeId,
      authenticatorId: u.totpId,
      code: appCode(u.secret, now()),
      ...(extra.rememberDevice ? { rememberDevice: true } : {}),
    });
  }

  test("Login answers a challenge offering the active factors; VerifyChallenge answers tokens whose amr shows both factors", async () => {
    const u = await mfaUser();
    const c = await challenge(u.email);
    expect(c.challengeId).toMatch(/^mfa_/);
    expect(c.authenticators.map((a) => a.type).sort()).toEqual([
      AuthenticatorType.TOTP,
      AuthenticatorType.RECOVERY_CODES,
    ]);
    expect(c.authenticators.find((a) => a.type === AuthenticatorType.RECOVERY_CODES)?.remainingCodes).toBe(
      10,
    );
    h.server.clock.advanceSeconds(30);
    const res = await h.mfaFor("").verifyChallenge({
      challengeId: c.challengeId,
      authenticatorId: u.totpId,
      code: appCode(u.secret, now()),
    });
    expect(res.deviceToken).toBe("");
    const tokens = res.tokens as TokenPair;
    expect(claims(tokens.accessToken).amr).toEqual(["pwd", "otp", "mfa"]);
    const me = await h.authed(tokens.accessToken).getCurrentUser({});
    expect(me.user?.email).toBe(u.email);
  });

  for (const protocol of ["grpc", "grpc-web"] as const) {
    test(`the challenge RPCs work over ${protocol}`, async () => {
      const u = await mfaUser();
      const res = await h.server
        .client(AuthService, protocol)
        .login({ identifier: u.email, password: PASSWORD });
      if (res.result.case !== "mfaChallenge") throw new Error("expected a challenge");
      const mfa = h.server.client(MfaService, protocol);
      const answer = await mfa.verifyChallenge({
        challengeId: res.result.value.challengeId,
        authenticatorId: u.recoveryId,
        code: u.codes[0] as string,
      });
      expect(claims(answer.tokens?.accessToken as string).amr).toEqual(["pwd", "otp", "mfa"]);
      await expectCode(
        mfa.verifyChallenge({
          challengeId: res.result.value.challengeId,
          authenticatorId: u.recoveryId,
          code: "x",
        }),
        Code.Unauthenticated,
      );
    });
  }

  test("a challenge is single use: of two concurrent verifications only one creates a session", async () => {
    const u = await mfaUser();
    const c = await challenge(u.email);
    const mfa = h.mfaFor("");
    const answers = await Promise.allSettled(
      [u.codes[0], u.codes[1]].map((code) =>
        mfa.verifyChallenge({
          challengeId: c.challengeId,
          authenticatorId: u.recoveryId,
          code: code as string,
        }),
      ),
    );
    expect(answers.filter((a) => a.status === "fulfilled")).toHaveLength(1);
    await expectCode(
      mfa.verifyChallenge({
        challengeId: c.challengeId,
        authenticatorId: u.recoveryId,
        code: u.codes[2] as string,
      }),
      Code.Unauthenticated,
      /challenge/,
    );
  });

  test("a wrong code leaves the challenge usable; a challenge expires after 5 minutes", async () => {
    const u = await mfaUser();
    const mfa = h.mfaFor("");
    const c = await challenge(u.email);
    await expectCode(
      mfa.verifyChallenge({ challengeId: c.challengeId, authenticatorId: u.recoveryId, code: "AAAAA-AAAAA" }),
      Code.Unauthenticated,
      /code/,
    );
    await mfa.verifyChallenge({
      challengeId: c.challengeId,
      authenticatorId: u.recoveryId,
      code: u.codes[0] as string,
    });

    const late = await challenge(u.email);
    h.server.clock.advanceSeconds(5 * 60 + 1);
    await expectCode(
      mfa.verifyChallenge({
        challengeId: late.challengeId,
        authenticatorId: u.recoveryId,
        code: u.codes[1] as string,
      }),
      Code.Unauthenticated,
      /challenge/,
    );
    await expectCode(
      mfa.verifyChallenge({
        challengeId: "mfa_unknown",
        authenticatorId: u.recoveryId,
        code: u.codes[1] as string,
      }),
      Code.Unauthenticated,
      /challenge/,
    );
    await expectCode(
      mfa.verifyChallenge({ challengeId: "", authenticatorId: u.recoveryId, code: "x" }),
      Code.InvalidArgument,
      /challenge_id/,
    );
  });

  test("cookie mode: VerifyChallenge sets the session cookies and keeps the tokens out of the body", async () => {
    const u = await mfaUser();
    const c = await challenge(u.email, { authMethod: AuthMethod.COOKIE });
    h.server.clock.advanceSeconds(30);
    const response = await fetch(`${h.server.url}/authd.v1.MfaService/VerifyChallenge`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        challengeId: c.challengeId,
        authenticatorId: u.totpId,
        code: appCode(u.secret, now()),
      }),
    });
    expect(response.status).toBe(200);
    const cookies = response.headers.getSetCookie();
    expect(cookies.some((cookie) => /authd_access=.+; .*HttpOnly/.test(cookie))).toBe(true);
    expect(cookies.some((cookie) => /authd_refresh=.+; .*HttpOnly/.test(cookie))).toBe(true);
    const body = (await response.json()) as { tokens: Record<string, string> };
    expect(body.tokens.accessToken).toBeUndefined();
    expect(body.tokens.refreshToken).toBeUndefined();
    expect(body.tokens.sessionId).toBeTruthy();
  });

  test("sign_out_other_sessions ends the user's other sessions", async () => {
    const u = await mfaUser();
    const first = (await signInWithTotp(u)).tokens as TokenPair;
    await signInWithTotp(u, { endSessions: SessionScope.OTHERS });
    await expectCode(h.auth.refresh({ refreshToken: first.refreshToken }), Code.Unauthenticated);
  });

  test("remember_device answers a device token that skips the second factor for that user only, until revoked", async () => {
    const u = await mfaUser();
    const other = await mfaUser();
    const res = await signInWithTotp(u, { rememberDevice: true });
    expect(res.deviceToken).toMatch(/^dev_/);
    const skipped = await h.auth.login({
      identifier: u.email,
      password: PASSWORD,
      deviceToken: res.deviceToken,
    });
    expect(skipped.result.case).toBe("tokens");
    // The device token never replaces the password, and means nothing for another account.
    await expectCode(
      h.auth.login({ identifier: u.email, password: "not the password", deviceToken: res.deviceToken }),
      Code.Unauthenticated,
    );
    await challenge(other.email, { deviceToken: res.deviceToken });

    const mine = h.mfaFor((res.tokens as TokenPair).accessToken);
    const devices = await mine.listTrustedDevices({});
    expect(devices.devices).toHaveLength(1);
    await expectCode(
      other.mfa.revokeTrustedDevice({ deviceId: devices.devices[0]?.id as string }),
      Code.NotFound,
    );
    await mine.revokeTrustedDevice({ deviceId: devices.devices[0]?.id as string });
    expect((await mine.listTrustedDevices({})).devices).toHaveLength(0);
    await challenge(u.email, { deviceToken: res.deviceToken });
    await expectCode(mine.revokeTrustedDevice({ deviceId: "bogus" }), Code.InvalidArgument, /device_id/);
  });

  test("a trusted device expires after AUTHD_TRUSTED_DEVICE_TTL", async () => {
    const u = await mfaUser();
    const res = await signInWithTotp(u, { rememberDevice: true });
    h.server.clock.advanceSeconds(30 * 24 * 3600 + 1);
    await challenge(u.email, { deviceToken: res.deviceToken });
  });

  test("a password change forgets the trusted devices", async () => {
    const u = await mfaUser();
    const res = await signInWithTotp(u, { rememberDevice: true });
    await h.authed((res.tokens as TokenPair).accessToken).changePassword({
      currentPassword: PASSWORD,
      newPassword: "another long passphrase",
    });
    const again = await h.auth.login({
      identifier: u.email,
      password: "another long passphrase",
      deviceToken: res.deviceToken,
    });
    expect(again.result.case).toBe("mfaChallenge");
  });

  test("a password reset does not bypass the second factor and forgets the trusted devices", async () => {
    const u = await mfaUser();
    const res = await signInWithTotp(u, { rememberDevice: true });
    await h.auth.requestPasswordReset({ email: u.email });
    const mail = await h.mailTo(u.email, /reset/i);
    await h.auth.resetPassword({ token: tokenFrom(mail), newPassword: "a brand new passphrase" });
    const after = await h.auth.login({
      identifier: u.email,
      password: "a brand new passphrase",
      deviceToken: res.deviceToken,
    });
    expect(after.result.case).toBe("mfaChallenge");
  });

  test("expired challenges and trusted devices are purged", async () => {
    const u = await mfaUser();
    await signInWithTotp(u, { rememberDevice: true });
    await challenge(u.email);
    const count = () =>
      h.server.db.transaction(async (em) => ({
        challenges: await em.countBy(MfaChallengeEntity, { userId: u.userId }),
        devices: await em.countBy(MfaTrustedDeviceEntity, { userId: u.userId }),
      }));
    const before = await count();
    expect(before.challenges).toBe(2);
    expect(before.devices).toBe(1);
    h.server.clock.advanceSeconds(31 * 24 * 3600);
    // The MFA purge job's work, run now rather than on its ten-minute schedule.
    await purgeExpired(h.server.internals.unitOfWork(MFA_REPOSITORIES), now());
    expect(await count()).toEqual({ challenges: 0, devices: 0 });
  });

  describe("step-up", () => {
    test("removing a factor with the password needs a recent second factor; StepUp gives one", async () => {
      const u = await mfaUser();
      const session = h.mfaFor(((await signInWithTotp(u)).tokens as TokenPair).accessToken);
      // An MFA sign-in counts as a fresh step-up, for AUTHD_STEP_UP_TTL (10 minutes).
      h.server.clock.advanceSeconds(11 * 60);
      await expectCode(
        session.deleteAuthenticator({
          authenticatorId: u.recoveryId,
          proof: { case: "currentPassword", value: PASSWORD },
        }),
        Code.PermissionDenied,
        /recent second factor: call MfaService\.StepUp/,
      );
      const stepped = await session.stepUp({ authenticatorId: u.totpId, code: appCode(u.secret, now()) });
      expect(stepped.validUntilTime).toBeDefined();
      await expectCode(
        session.deleteAuthenticator({
          authenticatorId: u.recoveryId,
          proof: { case: "currentPassword", value: "wrong password!" },
        }),
        Code.Unauthenticated,
        /password/,
      );
      await session.deleteAuthenticator({
        authenticatorId: u.recoveryId,
        proof: { case: "currentPassword", value: PASSWORD },
      });
      expect((await session.listAuthenticators({})).authenticators.map((a) => a.id)).toEqual([u.totpId]);
      const notice = await h.mailTo(u.email, /removed/i);
      expect(notice.text).toMatch(/second factor \(recovery codes\) was removed/);
    });

    test("creating an API key needs a recent second factor too", async () => {
      const u = await mfaUser();
      const { accessToken } = (await signInWithTotp(u)).tokens as TokenPair;
      const sessions = h.server.client(SessionService, "connect", { authorization: `Bearer ${accessToken}` });
      const request = { name: "ci", scopes: ["sessions:read"], currentPassword: PASSWORD };
      h.server.clock.advanceSeconds(11 * 60);
      await expectCode(sessions.createApiKey(request), Code.PermissionDenied, /recent second factor/);
      await h.mfaFor(accessToken).stepUp({ authenticatorId: u.totpId, code: appCode(u.secret, now()) });
      expect((await sessions.createApiKey(request)).secret).toMatch(/^authd_/);
    });

    test("a session signed in with a trusted device must step up before adding or removing a factor", async () => {
      const u = await mfaUser();
      const res = await signInWithTotp(u, { rememberDevice: true });
      const login = await h.auth.login({
        identifier: u.email,
        password: PASSWORD,
        deviceToken: res.deviceToken,
      });
      if (login.result.case !== "tokens") throw new Error("expected tokens");
      const session = h.mfaFor(login.result.value.accessToken);
      await expectCode(
        session.deleteAuthenticator({
          authenticatorId: u.totpId,
          proof: { case: "currentPassword", value: PASSWORD },
        }),
        Code.PermissionDenied,
      );
      await expectCode(
        session.createAuthenticator({ currentPassword: PASSWORD, type: AuthenticatorType.RECOVERY_CODES }),
        Code.PermissionDenied,
      );
    });

    test("a current code is proof enough to remove a factor", async () => {
      const u = await mfaUser();
      const login = await h.auth.login({ identifier: u.email, password: PASSWORD });
      expect(login.result.case).toBe("mfaChallenge");
      // The enrolment session (password only, stepped up by the enrolment itself) has aged out.
      h.server.clock.advanceSeconds(11 * 60);
      await u.mfa.deleteAuthenticator({
        authenticatorId: u.totpId,
        proof: { case: "code", value: u.codes[0] as string },
      });
      await expectCode(
        u.mfa.deleteAuthenticator({
          authenticatorId: u.recoveryId,
          proof: { case: "code", value: u.codes[0] as string },
        }),
        Code.InvalidArgument,
        /code/,
      );
      await expectCode(
        u.mfa.deleteAuthenticator({ authenticatorId: u.recoveryId }),
        Code.InvalidArgument,
        /password/,
      );
    });
  });
});
