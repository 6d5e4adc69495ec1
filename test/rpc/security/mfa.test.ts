// Factor changes and recovery-address changes re-authenticate the caller: an access token alone
// (stolen from a browser, say) can neither enrol the account's first second factor nor move its
// email or mobile number once it has one.
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SessionScope } from "../../../gen/authd/v1/common_pb.js";
import { AuthenticatorType } from "../../../gen/authd/v1/mfa_pb.js";
import { expectCode, tokenFrom } from "../../helpers/accounts.js";
import { appCode, type MfaHarness, PASSWORD, type SignedIn, startMfaHarness } from "../../helpers/mfa.js";

const kinds = [
  { name: "TOTP", type: AuthenticatorType.TOTP },
  { name: "SMS", type: AuthenticatorType.SMS, mobile: "+61491570158" },
  { name: "email", type: AuthenticatorType.EMAIL },
  { name: "recovery codes", type: AuthenticatorType.RECOVERY_CODES },
];

describe("re-authentication for factor and recovery-address changes", () => {
  let h: MfaHarness;
  let n = 0;
  const now = () => h.server.clock.now();
  const nextEmail = (what: string) => `${what}${++n}@example.com`;

  beforeAll(async () => {
    h = await startMfaHarness({
      AUTHD_ACCESS_TOKEN_TTL: "86400",
      // Short, so a test can outlive a step-up without outliving an emailed code (10 minutes).
      AUTHD_STEP_UP_TTL: "60",
      AUTHD_LOGIN_MAX_FAILURES: "3",
      AUTHD_RECOVERY_CODE_REGENERATIONS: "3",
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  const factors = async (u: SignedIn) => (await u.mfa.listAuthenticators({})).authenticators;

  describe("the first factor", () => {
    for (const kind of kinds) {
      test(`an access token alone cannot enrol ${kind.name} as the first factor`, async () => {
        const u = await h.user(nextEmail("first"));
        const request = { type: kind.type, mobile: kind.mobile ?? "" };
        await expectCode(u.mfa.createAuthenticator(request), Code.InvalidArgument, /current_password/);
        await expectCode(
          u.mfa.createAuthenticator({ ...request, currentPassword: "not the password" }),
          Code.Unauthenticated,
          /current_password/,
        );
        expect(await factors(u)).toEqual([]);
        const created = await u.mfa.createAuthenticator({ ...request, currentPassword: PASSWORD });
        expect(created.authenticator?.type).toBe(kind.type);
      });
    }

    test("an access token alone cannot activate a pending factor, even with its code", async () => {
      const u = await h.user(nextEmail("pending"));
      const created = await u.mfa.createAuthenticator({
        type: AuthenticatorType.TOTP,
        currentPassword: PASSWORD,
      });
      const authenticatorId = created.authenticator?.id as string;
      const code = appCode(created.totpSecret, now());
      await expectCode(
        u.mfa.verifyAuthenticator({ authenticatorId, code, endSessions: SessionScope.OTHERS }),
        Code.InvalidArgument,
        /current_password/,
      );
      await expectCode(
        u.mfa.verifyAuthenticator({ authenticatorId, code, currentPassword: "not the password" }),
        Code.Unauthenticated,
        /current_password/,
      );
      expect((await factors(u)).map((a) => a.active)).toEqual([false]);
      // The owner's session still works: nothing was activated, nobody was signed out.
      expect((await u.auth.getCurrentUser({})).user?.email).toBe(u.email);
      const verified = await u.mfa.verifyAuthenticator({ authenticatorId, code, currentPassword: PASSWORD });
      expect(verified.authenticator?.active).toBe(true);
    });

    test("wrong passwords count towards the re-authentication limit: then even the right one is refused", async () => {
      const u = await h.user(nextEmail("guess"));
      const request = { type: AuthenticatorType.RECOVERY_CODES };
      for (let i = 0; i < 3; i++) {
        const error = await u.mfa.createAuthenticator({ ...request, currentPassword: `guess ${i}` }).then(
          () => undefined,
          (e: unknown) => e as { code: Code },
        );
        expect([Code.Unauthenticated, Code.ResourceExhausted]).toContain(error?.code);
      }
      await expectCode(
        u.mfa.createAuthenticator({ ...request, currentPassword: PASSWORD }),
        Code.ResourceExhausted,
      );
      expect(await factors(u)).toEqual([]);
    });
  });

  describe("with a factor", () => {
    test("adding or activating another factor needs a recent step-up besides the password", async () => {
      const u = await h.userWithTotp(nextEmail("second"));
      // userWithTotp moved the clock past the enrolment's step-up (60 s here).
      await expectCode(
        u.mfa.createAuthenticator({ type: AuthenticatorType.EMAIL, currentPassword: PASSWORD }),
        Code.PermissionDenied,
        /StepUp/,
      );
      await u.mfa.stepUp({ authenticatorId: u.totpId, code: appCode(u.secret, now()) });
      const created = await u.mfa.createAuthenticator({
        type: AuthenticatorType.EMAIL,
        currentPassword: PASSWORD,
      });
      const authenticatorId = created.authenticator?.id as string;
      const code = await h.emailCode(u.email);
      h.server.clock.advanceSeconds(61);
      await expectCode(
        u.mfa.verifyAuthenticator({ authenticatorId, code, currentPassword: PASSWORD }),
        Code.PermissionDenied,
        /StepUp/,
      );
      await u.mfa.stepUp({ authenticatorId: u.totpId, code: appCode(u.secret, now()) });
      const verified = await u.mfa.verifyAuthenticator({ authenticatorId, code, currentPassword: PASSWORD });
      expect(verified.authenticator?.active).toBe(true);
    });

    test("changing the email needs a recent second factor besides the password", async () => {
      const u = await h.userWithTotp(nextEmail("email"));
      const change = { email: nextEmail("moved"), currentPassword: PASSWORD };
      await expectCode(u.auth.updateCurrentUser(change), Code.PermissionDenied, /StepUp/);
      await u.mfa.stepUp({ authenticatorId: u.totpId, code: appCode(u.secret, now()) });
      await u.auth.updateCurrentUser(change);
      const mail = await h.mailTo(change.email, /verify|confirm/i);
      expect(mail.text).toMatch(/token=/);
    });

    test("changing the mobile number needs a recent second factor besides the password", async () => {
      const u = await h.userWithTotp(nextEmail("mobile"));
      const change = { mobile: "+61491570159", currentPassword: PASSWORD };
      await expectCode(u.auth.updateCurrentUser(change), Code.PermissionDenied, /StepUp/);
      expect((await u.auth.getCurrentUser({})).user?.mobile).toBe("");
      await u.mfa.stepUp({ authenticatorId: u.totpId, code: appCode(u.secret, now()) });
      const updated = await u.auth.updateCurrentUser(change);
      expect(updated.user?.mobile).toBe("+61491570159");
    });

    test("without a factor, the password alone still changes the email and the mobile number", async () => {
      const u = await h.user(nextEmail("plain"));
      const updated = await u.auth.updateCurrentUser({
        mobile: "+61491570110",
        currentPassword: PASSWORD,
      });
      expect(updated.user?.mobile).toBe("+61491570110");
      const moved = nextEmail("plain-moved");
      await u.auth.updateCurrentUser({ email: moved, currentPassword: PASSWORD });
      await h.auth.verifyEmail({ token: tokenFrom(await h.mailTo(moved, /verify|confirm/i)) });
      expect((await u.auth.getCurrentUser({})).user?.email).toBe(moved);
    });
  });

  test("recovery codes are regenerated at most AUTHD_RECOVERY_CODE_REGENERATIONS times per window", async () => {
    const u = await h.user(nextEmail("regen"));
    const request = { type: AuthenticatorType.RECOVERY_CODES, currentPassword: PASSWORD };
    const first = await u.mfa.createAuthenticator(request);
    await u.mfa.stepUp({
      authenticatorId: first.authenticator?.id as string,
      code: first.recoveryCodes[0] as string,
    });
    await u.mfa.createAuthenticator(request);
    await u.mfa.createAuthenticator(request);
    await expectCode(u.mfa.createAuthenticator(request), Code.ResourceExhausted, /recovery codes/);
  });
});
