import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SessionScope } from "../../../gen/authd/v1/common_pb.js";
import { AuthenticatorType } from "../../../gen/authd/v1/mfa_pb.js";
import { expectCode, tokenFrom } from "../../helpers/accounts.js";
import { appCode, type MfaHarness, PASSWORD, startMfaHarness } from "../../helpers/mfa.js";

let h: MfaHarness;
let n = 0;
const nextEmail = (what: string) => `review-${what}${++n}@example.com`;
const now = () => h.server.clock.now();

beforeAll(async () => {
  h = await startMfaHarness({ AUTHD_ACCESS_TOKEN_TTL: "86400" });
});
afterAll(() => h.close());

describe("the email factor follows the account's email", () => {
  test("after an email change, sign-in codes go to the new address, not the old one", async () => {
    const oldEmail = nextEmail("old");
    const newEmail = nextEmail("new");
    const u = await h.user(oldEmail);
    const created = await u.mfa.createAuthenticator({
      type: AuthenticatorType.EMAIL,
      currentPassword: PASSWORD,
    });
    const emailFactor = created.authenticator?.id as string;
    await u.mfa.verifyAuthenticator({
      currentPassword: PASSWORD,
      authenticatorId: emailFactor,
      code: await h.emailCode(oldEmail),
    });
    // Activating the factor counts as a step-up, so the email change is allowed.
    await u.auth.updateCurrentUser({ email: newEmail, currentPassword: PASSWORD });
    await h.auth.verifyEmail({ token: tokenFrom(await h.mailTo(newEmail, /verify|confirm/i)) });
    expect((await u.auth.getCurrentUser({})).user?.email).toBe(newEmail);

    const login = await h.auth.login({ identifier: newEmail, password: PASSWORD });
    if (login.result.case !== "mfaChallenge") throw new Error("expected a challenge");
    const challengeId = login.result.value.challengeId;
    const codesToOld = () =>
      h.smtp.messages.filter((m) => m.to.includes(oldEmail) && /code/i.test(m.subject)).length;
    const before = codesToOld();
    await h.mfaFor("").deliverChallenge({ challengeId, authenticatorId: emailFactor });
    const code = await h.emailCode(newEmail);
    expect(codesToOld()).toBe(before);
    const res = await h.mfaFor("").verifyChallenge({ challengeId, authenticatorId: emailFactor, code });
    expect(res.tokens?.accessToken).toBeTruthy();
  });
});

describe("changing the password (the first factor) re-authenticates fully", () => {
  test("on an account with a second factor, a stolen session and the password alone cannot change it", async () => {
    const u = await h.userWithTotp(nextEmail("pw"));
    // The step-up of the enrolment has lapsed: the thief holds only the token and the password.
    h.server.clock.advanceSeconds(11 * 60);
    await expectCode(
      u.auth.changePassword({
        currentPassword: PASSWORD,
        newPassword: "the thief's new passphrase",
        endSessions: SessionScope.OTHERS,
      }),
      Code.PermissionDenied,
      /StepUp/,
    );
    await u.mfa.stepUp({ authenticatorId: u.totpId, code: appCode(u.secret, now()) });
    await u.auth.changePassword({ currentPassword: PASSWORD, newPassword: "the owner's new passphrase" });
  });
});

describe("an email change takes back what was mailed to the old address", () => {
  test("a password-reset link sent to the old address stops working once the new one is confirmed", async () => {
    const oldEmail = nextEmail("given-up");
    const newEmail = nextEmail("moved");
    const u = await h.user(oldEmail);
    // Whoever reads the old mailbox asks for a reset link and keeps it.
    await h.auth.requestPasswordReset({ email: oldEmail });
    const resetLink = tokenFrom(await h.mailTo(oldEmail, /reset/i));
    await u.auth.updateCurrentUser({ email: newEmail, currentPassword: PASSWORD });
    await h.auth.verifyEmail({ token: tokenFrom(await h.mailTo(newEmail, /verify|confirm/i)) });

    await expectCode(
      h.auth.resetPassword({ token: resetLink, newPassword: "the old mailbox's password" }),
      Code.InvalidArgument,
      /token/,
    );
    await h.login(newEmail, PASSWORD);
  });
});

describe("every RPC that sends email is limited", () => {
  test("RequestDeactivation and RequestDeletion stop mailing the owner after the per-address limit", async () => {
    const u = await h.user(nextEmail("flood"));
    const limit = h.server.app.config.emailsPerAddress;
    let sent = 0;
    let refused = false;
    for (let i = 0; i < limit + 5 && !refused; i++) {
      const call = i % 2 === 0 ? u.auth.requestDeactivation : u.auth.requestDeletion;
      refused = await call({ currentPassword: PASSWORD }).then(
        () => false,
        async (e) => {
          await expectCode(Promise.reject(e), Code.ResourceExhausted, /emails to this address/);
          return true;
        },
      );
      if (!refused) sent++;
    }
    expect(refused).toBe(true);
    expect(sent).toBeLessThanOrEqual(limit);
  });
});

describe("a factor change takes back the devices that stood in for it", () => {
  test("after removing a factor, a device remembered before no longer skips the second factor", async () => {
    const u = await h.userWithTotp(nextEmail("device"));
    // The thief passed the TOTP once (a phished code) and asked to be remembered.
    const login = await h.auth.login({ identifier: u.email, password: PASSWORD });
    if (login.result.case !== "mfaChallenge") throw new Error("expected a challenge");
    const passed = await h.mfaFor("").verifyChallenge({
      challengeId: login.result.value.challengeId,
      authenticatorId: u.totpId,
      code: appCode(u.secret, now()),
      rememberDevice: true,
    });
    expect(passed.deviceToken).toMatch(/^dev_/);
    h.server.clock.advanceSeconds(60);

    // The owner removes the phished factor (a recovery code is the proof); recovery codes remain.
    await u.mfa.deleteAuthenticator({
      authenticatorId: u.totpId,
      proof: { case: "code", value: u.codes[0] as string },
    });

    const again = await h.auth.login({
      identifier: u.email,
      password: PASSWORD,
      deviceToken: passed.deviceToken,
    });
    expect(again.result.case).toBe("mfaChallenge");
  });
});
