// Codes that travel: SMS codes received by a real HTTP server standing in for the provider, email
// codes read from a real SMTP server, recovery codes, and the profile's mobile verification.
import { createHash } from "node:crypto";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AuthenticatorType, type MfaChallenge } from "../../../gen/authd/v1/mfa_pb.js";
import { MfaCodeEntity, MfaRecoveryCodeEntity } from "../../../src/store/entities/mfa.js";
import { expectCode } from "../../helpers/accounts.js";
import { type MfaHarness, PASSWORD, startMfaHarness } from "../../helpers/mfa.js";
import { testMobile } from "../../helpers/mobiles.js";

describe("SMS, email and recovery codes", () => {
  let h: MfaHarness;
  let n = 0;
  const anonymous = () => h.mfaFor("");

  beforeAll(async () => {
    h = await startMfaHarness({ AUTHD_ACCESS_TOKEN_TTL: "86400" });
  });
  afterAll(async () => {
    await h?.close();
  });

  const nextNumber = () => testMobile(++n);

  async function challenge(email: string): Promise<MfaChallenge> {
    const res = await h.auth.login({ identifier: email, password: PASSWORD });
    if (res.result.case !== "mfaChallenge") throw new Error(`expected a challenge, got ${res.result.case}`);
    return res.result.value;
  }

  /** A signed-in user with an active SMS factor on a fresh number. */
  async function smsUser() {
    const u = await h.user(`sms${++n}@example.com`);
    const mobile = nextNumber();
    const created = await u.mfa.createAuthenticator({
      currentPassword: PASSWORD,
      type: AuthenticatorType.SMS,
      mobile,
    });
    const id = created.authenticator?.id as string;
    await u.mfa.verifyAuthenticator({
      currentPassword: PASSWORD,
      authenticatorId: id,
      code: await h.smsCode(mobile),
    });
    return { ...u, mobile, id };
  }

  test("SMS enrolment: the code reaches the provider's webhook and activates the factor", async () => {
    const u = await h.user("sms-enrol@example.com");
    await expectCode(
      u.mfa.createAuthenticator({
        currentPassword: PASSWORD,
        type: AuthenticatorType.SMS,
        mobile: "07700 900123",
      }),
      Code.InvalidArgument,
      /mobile/,
    );
    await expectCode(
      u.mfa.createAuthenticator({ currentPassword: PASSWORD, type: AuthenticatorType.SMS }),
      Code.InvalidArgument,
      /mobile/,
    );
    const created = await u.mfa.createAuthenticator({
      currentPassword: PASSWORD,
      type: AuthenticatorType.SMS,
      mobile: "+61491570006",
    });
    expect(created.authenticator?.active).toBe(false);
    expect(created.authenticator?.destinationHint).toBe("+61••••••006");
    const code = await h.smsCode("+61491570006");
    const id = created.authenticator?.id as string;
    await expectCode(
      u.mfa.verifyAuthenticator({ currentPassword: PASSWORD, authenticatorId: id, code: "12345" }),
      Code.InvalidArgument,
      /code/,
    );
    const verified = await u.mfa.verifyAuthenticator({
      currentPassword: PASSWORD,
      authenticatorId: id,
      code,
    });
    expect(verified.authenticator?.active).toBe(true);
    // Single use: the same code does not verify anything again.
    await expectCode(
      u.mfa.verifyAuthenticator({ currentPassword: PASSWORD, authenticatorId: id, code }),
      Code.InvalidArgument,
      /already active/,
    );
  });

  test("SMS sign-in: DeliverChallenge sends a code bound to that challenge; a newer code voids the older; codes expire after 10 minutes", async () => {
    const u = await smsUser();
    const first = await challenge(u.email);
    const delivered = await anonymous().deliverChallenge({
      challengeId: first.challengeId,
      authenticatorId: u.id,
    });
    expect(Number(delivered.codeExpireTime?.seconds) * 1000).toBe(h.server.clock.now() + 10 * 60 * 1000);
    const older = await h.smsCode(u.mobile);
    await anonymous().deliverChallenge({ challengeId: first.challengeId, authenticatorId: u.id });
    const newer = await h.smsCode(u.mobile);
    if (older !== newer) {
      await expectCode(
        anonymous().verifyChallenge({ challengeId: first.challengeId, authenticatorId: u.id, code: older }),
        Code.Unauthenticated,
        /code/,
      );
    }
    // A code sent for one challenge does not answer another.
    const second = await challenge(u.email);
    await expectCode(
      anonymous().verifyChallenge({ challengeId: second.challengeId, authenticatorId: u.id, code: newer }),
      Code.Unauthenticated,
      /code/,
    );
    const res = await anonymous().verifyChallenge({
      challengeId: first.challengeId,
      authenticatorId: u.id,
      code: newer,
    });
    const accessToken = res.tokens?.accessToken ?? "";
    const payload = JSON.parse(Buffer.from(accessToken.split(".")[1] ?? "", "base64url").toString());
    expect(payload.amr).toEqual(["pwd", "sms", "mfa"]);

    await anonymous().deliverChallenge({ challengeId: second.challengeId, authenticatorId: u.id });
    const late = await h.smsCode(u.mobile);
    h.server.clock.advanceSeconds(4 * 60);
    const third = await challenge(u.email);
    await anonymous().deliverChallenge({ challengeId: third.challengeId, authenticatorId: u.id });
    const expiring = await h.smsCode(u.mobile);
    h.server.clock.advanceSeconds(10 * 60 + 1);
    // Both the challenge and its code have expired.
    await expectCode(
      anonymous().verifyChallenge({ challengeId: second.challengeId, authenticatorId: u.id, code: late }),
      Code.Unauthenticated,
    );
    await expectCode(
      anonymous().verifyChallenge({ challengeId: third.challengeId, authenticatorId: u.id, code: expiring }),
      Code.Unauthenticated,
    );
  });

  test("DeliverChallenge refuses factors that need no delivery, and unknown challenges", async () => {
    const u = await smsUser();
    const recovery = await u.mfa.createAuthenticator({
      currentPassword: PASSWORD,
      type: AuthenticatorType.RECOVERY_CODES,
    });
    const c = await challenge(u.email);
    await expectCode(
      anonymous().deliverChallenge({
        challengeId: c.challengeId,
        authenticatorId: recovery.authenticator?.id as string,
      }),
      Code.InvalidArgument,
      /authenticator_id/,
    );
    await expectCode(
      anonymous().deliverChallenge({ challengeId: "mfa_nope", authenticatorId: u.id }),
      Code.Unauthenticated,
    );
  });

  test("email factor: codes are read from a real SMTP server, for enrolment and sign-in", async () => {
    const u = await h.user("email-factor@example.com");
    const created = await u.mfa.createAuthenticator({
      currentPassword: PASSWORD,
      type: AuthenticatorType.EMAIL,
    });
    expect(created.authenticator?.destinationHint).toBe("e•••@example.com");
    const id = created.authenticator?.id as string;
    await u.mfa.verifyAuthenticator({
      currentPassword: PASSWORD,
      authenticatorId: id,
      code: await h.emailCode(u.email),
    });
    const added = await h.mailTo(u.email, /added/i);
    expect(added.text).toMatch(/second factor \(email codes\) was added/);

    const c = await challenge(u.email);
    await anonymous().deliverChallenge({ challengeId: c.challengeId, authenticatorId: id });
    const code = await h.emailCode(u.email);
    const mail = await h.mailTo(u.email, /code/i);
    // The subject shows on lock screens and in notifications: the code stays in the body.
    expect(mail.subject).not.toContain(code);
    expect(mail.text).toContain(`Your code for signing in is ${code}`);
    const res = await anonymous().verifyChallenge({ challengeId: c.challengeId, authenticatorId: id, code });
    expect(res.tokens?.accessToken).toBeTruthy();
  });

  test("recovery codes: ten codes shown once, each accepted once; regenerating replaces the set", async () => {
    const u = await h.user("recovery@example.com");
    const created = await u.mfa.createAuthenticator({
      currentPassword: PASSWORD,
      type: AuthenticatorType.RECOVERY_CODES,
    });
    const codes = created.recoveryCodes;
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[A-Z2-7]{5}-[A-Z2-7]{5}$/);
    const id = created.authenticator?.id as string;
    expect(created.authenticator?.active).toBe(true);
    expect((await u.mfa.getAuthenticator({ authenticatorId: id })).authenticator?.remainingCodes).toBe(10);
    // Stored only as salted argon2id hashes (50-bit codes need a slow hash: ASVS 6.5.2).
    const stored = await h.server.db.transaction((em) =>
      em.findBy(MfaRecoveryCodeEntity, { authenticatorId: id }),
    );
    expect(stored.map((row) => row.codeHash.startsWith("$argon2id$"))).toEqual(Array(10).fill(true));

    const c1 = await challenge(u.email);
    // Typed loosely: lower case, without the dash.
    const typed = (codes[0] as string).replace("-", "").toLowerCase();
    await anonymous().verifyChallenge({ challengeId: c1.challengeId, authenticatorId: id, code: typed });
    const c2 = await challenge(u.email);
    await expectCode(
      anonymous().verifyChallenge({
        challengeId: c2.challengeId,
        authenticatorId: id,
        code: codes[0] as string,
      }),
      Code.Unauthenticated,
      /code/,
    );
    expect((await u.mfa.getAuthenticator({ authenticatorId: id })).authenticator?.remainingCodes).toBe(9);

    // Regenerating needs a recent second factor now that the account has one: step up first.
    await expectCode(
      u.mfa.createAuthenticator({ currentPassword: PASSWORD, type: AuthenticatorType.RECOVERY_CODES }),
      Code.PermissionDenied,
    );
    await u.mfa.stepUp({ authenticatorId: id, code: codes[1] as string });
    const fresh = await u.mfa.createAuthenticator({
      currentPassword: PASSWORD,
      type: AuthenticatorType.RECOVERY_CODES,
    });
    const freshId = fresh.authenticator?.id as string;
    await expectCode(
      anonymous().verifyChallenge({
        challengeId: c2.challengeId,
        authenticatorId: freshId,
        code: codes[2] as string,
      }),
      Code.Unauthenticated,
      /code/,
    );
    await anonymous().verifyChallenge({
      challengeId: c2.challengeId,
      authenticatorId: freshId,
      code: fresh.recoveryCodes[0] as string,
    });
    expect((await u.mfa.listAuthenticators({})).authenticators.map((a) => a.id)).toEqual([freshId]);
  });

  test("StepUp with an SMS factor: an empty code texts one, which then steps up the session", async () => {
    const u = await smsUser();
    // The enrolment counted as a step-up; let it age out.
    h.server.clock.advanceSeconds(11 * 60);
    await expectCode(
      u.mfa.createAuthenticator({ currentPassword: PASSWORD, type: AuthenticatorType.RECOVERY_CODES }),
      Code.PermissionDenied,
    );
    const sent = await u.mfa.stepUp({ authenticatorId: u.id, code: "" });
    expect(sent.validUntilTime).toBeUndefined();
    const stepped = await u.mfa.stepUp({ authenticatorId: u.id, code: await h.smsCode(u.mobile) });
    expect(Number(stepped.validUntilTime?.seconds) * 1000).toBe(h.server.clock.now() + 600_000);
    await u.mfa.createAuthenticator({ currentPassword: PASSWORD, type: AuthenticatorType.RECOVERY_CODES });
  });

  test("another user's authenticator is not found", async () => {
    const owner = await smsUser();
    const other = await h.user(`other${++n}@example.com`);
    await expectCode(other.mfa.getAuthenticator({ authenticatorId: owner.id }), Code.NotFound);
    await expectCode(other.mfa.stepUp({ authenticatorId: owner.id, code: "123456" }), Code.NotFound);
    await expectCode(
      other.mfa.deleteAuthenticator({
        authenticatorId: owner.id,
        proof: { case: "currentPassword", value: PASSWORD },
      }),
      Code.NotFound,
    );
  });

  test("a stored code is an HMAC under a server key, so a leaked row cannot be matched by hashing the million codes", async () => {
    const u = await h.user("leak@example.com");
    const mobile = nextNumber();
    await u.auth.updateCurrentUser({ mobile, currentPassword: PASSWORD });
    await u.mfa.resendMobileVerification({});
    const code = await h.smsCode(mobile);
    const row = await h.server.db.transaction((em) =>
      em.findOneByOrFail(MfaCodeEntity, { userId: u.userId }),
    );
    expect(row.codeHash).not.toContain(code);
    // Someone holding the database tries every code with the binding, as an unkeyed hash would allow.
    const plain = (candidate: string) =>
      createHash("sha256").update(`code:${row.binding}:${candidate}`).digest("hex");
    expect(plain(code)).not.toBe(row.codeHash);
    expect(createHash("sha256").update(code).digest("hex")).not.toBe(row.codeHash);
    await u.mfa.verifyMobile({ code });
  });

  describe("mobile verification", () => {
    test("ResendMobileVerification texts a code; VerifyMobile marks the number verified; a newer code voids the older", async () => {
      const u = await h.user("mobile@example.com");
      await expectCode(u.mfa.resendMobileVerification({}), Code.FailedPrecondition, /no mobile/);
      const mobile = nextNumber();
      await u.auth.updateCurrentUser({ mobile, currentPassword: PASSWORD });
      await u.mfa.resendMobileVerification({});
      const older = await h.smsCode(mobile);
      await u.mfa.resendMobileVerification({});
      const newer = await h.smsCode(mobile);
      if (older !== newer)
        await expectCode(u.mfa.verifyMobile({ code: older }), Code.InvalidArgument, /code/);
      await expectCode(u.mfa.verifyMobile({ code: "" }), Code.InvalidArgument, /code/);
      await u.mfa.verifyMobile({ code: newer });
      expect((await u.auth.getCurrentUser({})).user?.mobileVerified).toBe(true);
      await expectCode(u.mfa.verifyMobile({ code: newer }), Code.InvalidArgument, /code/);
      await expectCode(u.mfa.resendMobileVerification({}), Code.FailedPrecondition, /already verified/);
    });

    test("a code sent to an earlier number does not verify a changed one; five wrong codes lock for 15 minutes", async () => {
      const u = await h.user("mobile-change@example.com");
      const first = nextNumber();
      await u.auth.updateCurrentUser({ mobile: first, currentPassword: PASSWORD });
      await u.mfa.resendMobileVerification({});
      const code = await h.smsCode(first);
      await u.auth.updateCurrentUser({ mobile: nextNumber(), currentPassword: PASSWORD });
      await expectCode(u.mfa.verifyMobile({ code }), Code.InvalidArgument, /code/);
      for (let i = 0; i < 3; i++)
        await expectCode(u.mfa.verifyMobile({ code: "000000" }), Code.InvalidArgument);
      const locked = await expectCode(u.mfa.verifyMobile({ code: "000000" }), Code.ResourceExhausted);
      expect(Number(locked.metadata.get("retry-after"))).toBe(900);
      h.server.clock.advanceSeconds(15 * 60);
      await expectCode(u.mfa.verifyMobile({ code: "000000" }), Code.InvalidArgument);
    });

    test("codes sent to one user are rate limited", async () => {
      const u = await h.user("mobile-flood@example.com");
      await u.auth.updateCurrentUser({ mobile: nextNumber(), currentPassword: PASSWORD });
      for (let i = 0; i < 5; i++) await u.mfa.resendMobileVerification({});
      await expectCode(u.mfa.resendMobileVerification({}), Code.ResourceExhausted);
    });
  });
});
