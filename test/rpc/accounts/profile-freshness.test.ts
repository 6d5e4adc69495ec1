// GetCurrentUser answers from a short-lived in-memory profile (src/domain/accounts/profile-cache.ts).
// Whatever changes an account on this replica — its profile, its email, its mobile number's
// verification, its second factors — shows in the very next GetCurrentUser; each case reads the
// profile first, so a stale copy would be held if the change did not clear it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthenticatorType } from "../../../gen/authd/v1/mfa_pb.js";
import { tokenFrom } from "../../helpers/accounts.js";
import { appCode, type MfaHarness, PASSWORD, startMfaHarness } from "../../helpers/mfa.js";

let h: MfaHarness;

beforeAll(async () => {
  h = await startMfaHarness();
});
afterAll(() => h.close());

const profileOf = async (auth: { getCurrentUser(req: object): Promise<{ user?: unknown }> }) =>
  (await auth.getCurrentUser({})).user as Record<string, unknown>;

describe("GetCurrentUser on the replica that made the change", () => {
  it("shows a profile change at once", async () => {
    const u = await h.user("fresh-profile@example.com");
    expect(await profileOf(u.auth)).toMatchObject({ firstName: "" });
    await u.auth.updateCurrentUser({ firstName: "Grace", settings: { theme: "dark" } });
    expect(await profileOf(u.auth)).toMatchObject({ firstName: "Grace", settings: { theme: "dark" } });
    await u.auth.updateCurrentUser({ firstName: "Ada", removeSettings: ["theme"], settings: {} });
    expect(await profileOf(u.auth)).toMatchObject({ firstName: "Ada", settings: {} });
  });

  it("shows a verified email change at once (the verification is another caller's request)", async () => {
    const u = await h.user("fresh-old@example.com");
    await u.auth.updateCurrentUser({ email: "fresh-new@example.com", currentPassword: PASSWORD });
    expect(await profileOf(u.auth)).toMatchObject({ email: "fresh-old@example.com" });
    const token = tokenFrom(await h.mailTo("fresh-new@example.com", /confirm|verify/i));
    await h.auth.verifyEmail({ token });
    expect(await profileOf(u.auth)).toMatchObject({ email: "fresh-new@example.com" });
  });

  it("shows a mobile number verified by code at once", async () => {
    const u = await h.user("fresh-mobile@example.com");
    await u.auth.updateCurrentUser({ mobile: "+61491570158", currentPassword: PASSWORD });
    await u.mfa.resendMobileVerification({});
    const code = await h.smsCode("+61491570158");
    expect(await profileOf(u.auth)).toMatchObject({ mobile: "+61491570158", mobileVerified: false });
    await u.mfa.verifyMobile({ code });
    expect(await profileOf(u.auth)).toMatchObject({ mobileVerified: true });
  });

  it("shows a second factor turned on and off at once", async () => {
    const u = await h.user("fresh-factor@example.com");
    const created = await u.mfa.createAuthenticator({
      currentPassword: PASSWORD,
      type: AuthenticatorType.TOTP,
    });
    const totpId = created.authenticator?.id as string;
    // Pending until verified: not yet a second factor.
    expect(await profileOf(u.auth)).toMatchObject({ mfaEnabled: false });
    await u.mfa.verifyAuthenticator({
      currentPassword: PASSWORD,
      authenticatorId: totpId,
      code: appCode(created.totpSecret, h.server.clock.now()),
    });
    expect(await profileOf(u.auth)).toMatchObject({ mfaEnabled: true });
    h.server.clock.advanceSeconds(60);
    await u.mfa.stepUp({ authenticatorId: totpId, code: appCode(created.totpSecret, h.server.clock.now()) });
    await u.mfa.deleteAuthenticator({
      authenticatorId: totpId,
      proof: { case: "currentPassword", value: PASSWORD },
    });
    expect(await profileOf(u.auth)).toMatchObject({ mfaEnabled: false });
  });
});
