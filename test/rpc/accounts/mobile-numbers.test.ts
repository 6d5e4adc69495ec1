// Mobile numbers: one rule (libphonenumber-js with its full metadata) wherever a number is given: a
// real number of a mobile type, written in international form with any spacing, stored in E.164.
// Numbers used: the ACMA's drama range +61 491 570 xxx (valid Australian mobiles reserved for
// fiction), Ofcom's drama landline +44 20 7946 0xxx, and numbers the metadata refuses.
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthenticatorType } from "../../../gen/authd/v1/mfa_pb.js";
import { expectCode } from "../../helpers/accounts.js";
import { type MfaHarness, PASSWORD, startMfaHarness } from "../../helpers/mfa.js";

const SENTENCE = /^mobile: must be a mobile number in international format, e\.g\. \+61 491 570 006$/;
const LANDLINE = "+442079460018"; // London, written in E.164: the pattern authd used took it

let h: MfaHarness;
let n = 0;
const nextEmail = () => `mobile${++n}@example.com`;

beforeAll(async () => {
  h = await startMfaHarness();
});
afterAll(() => h?.close());

/**
 * What the profile and the SMS factor each make of `mobile`: the stored number and the number a
 * code was texted to, or the refusal. `textedTo` is where the SMS factor's code must have gone.
 */
async function judged(mobile: string, textedTo = ""): Promise<{ profile: string; sms: string }> {
  const u = await h.user(nextEmail());
  const refused = (error: unknown) => `refused: ${(error as Error).message}`;
  const profile = await u.auth
    .updateCurrentUser({ mobile, currentPassword: PASSWORD })
    .then((res) => res.user?.mobile ?? "", refused);
  const sms = await u.mfa
    .createAuthenticator({ type: AuthenticatorType.SMS, mobile, currentPassword: PASSWORD })
    .then(async () => {
      await h.smsCode(textedTo); // throws when no code went there
      return textedTo;
    }, refused);
  return { profile, sms };
}

describe("a mobile number is checked by one rule, in the profile and for the SMS factor", () => {
  it.each([
    ["a mobile number with spaces", "+61 491 570 006", "+61491570006"],
    ["a mobile number with dashes and the national 0 in brackets", "+61 (0)491-570-156", "+61491570156"],
    ["a number that may be a mobile (North America does not tell)", "+1 201 555 0123", "+12015550123"],
  ])("%s is stored and texted in E.164 form", async (_what, mobile, e164) => {
    expect(await judged(mobile, e164)).toEqual({ profile: e164, sms: e164 });
  });

  it.each([
    ["a landline", LANDLINE],
    ["a number no country has (US area code 555)", "+1 555 555 0100"],
    ["a number in a range no operator was given (UK 07700 900)", "+44 7700 900123"],
    ["a national number without its country code", "0491 570 006"],
    ["a number inside a sentence", "call +61 491 570 006"],
    ["a number with an extension", "+61 491 570 006 ext. 12"],
  ])("%s is refused by both, with a sentence naming the field", async (_what, mobile) => {
    const { profile, sms } = await judged(mobile);
    expect(profile).toMatch(/^refused: \[invalid_argument\] /);
    expect(profile.replace(/^refused: \[invalid_argument\] /, "")).toMatch(SENTENCE);
    expect(sms).toBe(profile);
  });

  it("refuses a landline at registration, naming the field", async () => {
    await expectCode(
      h.auth.register({ email: nextEmail(), password: PASSWORD, mobile: LANDLINE }),
      Code.InvalidArgument,
      SENTENCE,
    );
  });

  it("signs in with a verified number written another way than it was given", async () => {
    const u = await h.user(nextEmail());
    await u.auth.updateCurrentUser({ mobile: "+61491570110", currentPassword: PASSWORD });
    await u.mfa.resendMobileVerification({});
    await u.mfa.verifyMobile({ code: await h.smsCode("+61491570110") });
    const res = await h.auth.login({ identifier: "+61 491 570 110", password: PASSWORD });
    expect(res.result.case).toBe("tokens");
  });

  it("asks for nothing when the same number is given again in another format", async () => {
    const u = await h.user(nextEmail());
    await u.auth.updateCurrentUser({ mobile: "+61491571266", currentPassword: PASSWORD });
    // No current_password: the number does not change, so there is nothing to re-authenticate.
    const { user } = await u.auth.updateCurrentUser({ mobile: "+61 491 571 266" });
    expect(user?.mobile).toBe("+61491571266");
  });
});
