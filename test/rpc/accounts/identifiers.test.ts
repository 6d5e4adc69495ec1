// Signing in with a verified mobile number and asking for a reset by username, on SQLite and
// PostgreSQL.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UserEntity } from "../../../src/store/entities/user.js";
import { expectCode, PASSWORD, tokenFrom } from "../../helpers/accounts.js";
import { forEachDatabase } from "../../helpers/databases.js";
import { type MfaHarness, type SignedIn, startMfaHarness } from "../../helpers/mfa.js";
import { testMobile } from "../../helpers/mobiles.js";

forEachDatabase("identifiers", (database) => {
  describe("a verified mobile number or a username", () => {
    let h: MfaHarness;
    let n = 0;
    const nextNumber = () => testMobile(++n);

    beforeAll(async () => {
      h = await startMfaHarness(await database.env());
    });
    afterAll(async () => {
      await h.close();
    });

    /** Puts `mobile` on the profile and texts its code; answers the code. */
    async function codeFor(u: SignedIn, mobile: string): Promise<string> {
      await u.auth.updateCurrentUser({ mobile, currentPassword: PASSWORD });
      await u.mfa.resendMobileVerification({});
      return h.smsCode(mobile);
    }

    async function withVerifiedMobile(email: string): Promise<SignedIn & { mobile: string }> {
      const u = await h.user(email);
      const mobile = nextNumber();
      await u.mfa.verifyMobile({ code: await codeFor(u, mobile) });
      return { ...u, mobile };
    }

    async function loginError(identifier: string, password = PASSWORD): Promise<ConnectError> {
      return expectCode(h.auth.login({ identifier, password }), Code.Unauthenticated);
    }

    /** What a client can see of a failed sign-in: code, message and details. */
    const seen = (e: ConnectError) => ({ code: e.code, message: e.rawMessage, details: e.details });

    it("signs in with a verified mobile number and its password, answering the account's user id", async () => {
      const u = await withVerifiedMobile("mobile-login@example.com");
      const tokens = await h.login(u.mobile);
      expect(tokens.userId).toBe(u.userId);
      // Surrounding spaces are forgiven, as for emails and usernames.
      expect((await h.login(` ${u.mobile} `)).userId).toBe(u.userId);
    });

    it("an unverified, unknown or malformed number answers exactly like a wrong password", async () => {
      const verified = await withVerifiedMobile("mobile-known@example.com");
      const pending = await h.user("mobile-pending@example.com");
      const unverified = nextNumber();
      await pending.auth.updateCurrentUser({ mobile: unverified, currentPassword: PASSWORD });

      const wrongPassword = seen(await loginError(verified.mobile, "not the password at all"));
      expect(wrongPassword.code).toBe(Code.Unauthenticated);
      for (const identifier of [
        unverified,
        nextNumber(),
        "+12",
        "+44 7700 900123",
        "mobile-nobody@example.com",
      ]) {
        expect(seen(await loginError(identifier)), identifier).toEqual(wrongPassword);
      }
      // The unverified number's account was not even tried: no failure was counted against it.
      const row = await h.server.db.transaction((em) =>
        em.findOneByOrFail(UserEntity, { id: pending.userId }),
      );
      expect(row.failedLogins).toBe(0);
    });

    it("refuses to verify a number another account already holds verified, naming mobile", async () => {
      const holder = await withVerifiedMobile("mobile-holder@example.com");
      const other = await h.user("mobile-other@example.com");
      const code = await codeFor(other, holder.mobile);
      await expectCode(other.mfa.verifyMobile({ code }), Code.AlreadyExists, /^mobile: /);
      expect((await other.auth.getCurrentUser({})).user?.mobileVerified).toBe(false);
      // The number still signs the holder in, and only the holder.
      expect((await h.login(holder.mobile)).userId).toBe(holder.userId);
    });

    it("of two accounts verifying the same number at once, exactly one holds it", async () => {
      const mobile = nextNumber();
      const a = await h.user("mobile-race-a@example.com");
      const b = await h.user("mobile-race-b@example.com");
      const codeA = await codeFor(a, mobile);
      const codeB = await codeFor(b, mobile);
      const results = await Promise.allSettled([
        a.mfa.verifyMobile({ code: codeA }),
        b.mfa.verifyMobile({ code: codeB }),
      ]);
      const refused = results.filter((r) => r.status === "rejected");
      expect(refused).toHaveLength(1);
      const error = ConnectError.from((refused[0] as PromiseRejectedResult).reason);
      expect(Code[error.code]).toBe("AlreadyExists");
      const winner = results[0]?.status === "fulfilled" ? a : b;
      expect((await h.login(mobile)).userId).toBe(winner.userId);
    });

    it("the database itself refuses a second account with the same verified number", async () => {
      const holder = await withVerifiedMobile("mobile-index-a@example.com");
      const other = await h.user("mobile-index-b@example.com");
      await expect(
        h.server.db.transaction((em) =>
          em.update(UserEntity, { id: other.userId }, { mobile: holder.mobile, mobileVerified: true }),
        ),
      ).rejects.toThrow();
      // Unverified, the same number may sit on any number of profiles.
      await other.auth.updateCurrentUser({ mobile: holder.mobile, currentPassword: PASSWORD });
    });

    it("RequestPasswordReset by username answers like an unknown one; only the known account gets the link", async () => {
      await h.signUp("reset-by-name@example.com", PASSWORD, "reset.by.name");
      const before = h.smtp.messages.length;
      const known = await h.auth.requestPasswordReset({ username: "Reset.By.Name" });
      const unknown = await h.auth.requestPasswordReset({ username: "nobody.by.name" });
      expect(unknown).toEqual(known);
      const mail = await h.mailTo("reset-by-name@example.com", /reset/i);
      await h.server.mail.flush();
      const sent = h.smtp.messages.slice(before);
      expect(sent.map((m) => m.to)).toEqual([mail.to]);
      const newPassword = "a brand new long passphrase";
      await h.auth.resetPassword({ token: tokenFrom(mail), newPassword });
      await h.login("reset.by.name", newPassword);
    });

    it("RequestPasswordReset checks the username's form and refuses both identifiers at once", async () => {
      await expectCode(h.auth.requestPasswordReset({ username: "a" }), Code.InvalidArgument, /^username: /);
      await expectCode(
        h.auth.requestPasswordReset({ username: "someone", email: "someone@example.com" }),
        Code.InvalidArgument,
        /^username: .*not both/,
      );
      await expectCode(h.auth.requestPasswordReset({}), Code.InvalidArgument, /^email: is required/);
    });
  });
});
