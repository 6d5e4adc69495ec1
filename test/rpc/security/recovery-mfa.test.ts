// A sign-in half done when the password changes does not survive the change: the MFA challenge it
// holds was earned with the old password, so a reset (or a change) voids it.
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectCode, tokenFrom } from "../../helpers/accounts.js";
import { appCode, type MfaHarness, PASSWORD, startMfaHarness } from "../../helpers/mfa.js";

let h: MfaHarness;
let n = 0;

beforeAll(async () => {
  h = await startMfaHarness({ AUTHD_ACCESS_TOKEN_TTL: "86400" });
});
afterAll(() => h.close());

async function pendingChallenge(email: string): Promise<string> {
  const res = await h.auth.login({ identifier: email, password: PASSWORD });
  if (res.result.case !== "mfaChallenge") throw new Error(`expected a challenge, got ${res.result.case}`);
  return res.result.value.challengeId;
}

describe("an MFA challenge pending across a password change", () => {
  it("cannot be completed after a password reset, even with the right code", async () => {
    const u = await h.userWithTotp(`reset-challenge${++n}@example.com`);
    const challengeId = await pendingChallenge(u.email);
    await h.auth.requestPasswordReset({ email: u.email });
    const token = tokenFrom(await h.mailTo(u.email, /reset your password/i));
    await h.auth.resetPassword({ token, newPassword: "a brand new passphrase" });
    h.server.clock.advanceSeconds(30);
    const code = appCode(u.secret, h.server.clock.now());
    await expectCode(
      h.mfaFor("").verifyChallenge({ challengeId, authenticatorId: u.totpId, code }),
      Code.Unauthenticated,
      /challenge/,
    );
    // A sign-in with the new password still works, second factor and all.
    const fresh = await h.auth.login({ identifier: u.email, password: "a brand new passphrase" });
    expect(fresh.result.case).toBe("mfaChallenge");
  });

  it("cannot be completed after a password change", async () => {
    const u = await h.userWithTotp(`change-challenge${++n}@example.com`);
    const challengeId = await pendingChallenge(u.email);
    await u.auth.changePassword({ currentPassword: PASSWORD, newPassword: "another long passphrase" });
    h.server.clock.advanceSeconds(30);
    const code = appCode(u.secret, h.server.clock.now());
    await expectCode(
      h.mfaFor("").verifyChallenge({ challengeId, authenticatorId: u.totpId, code }),
      Code.Unauthenticated,
      /challenge/,
    );
  });
});
