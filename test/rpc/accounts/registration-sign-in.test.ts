// Optional sign-in at registration, on SQLite and PostgreSQL, and the configuration that guards it.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/config.js";
import {
  type AccountsHarness,
  expectCode,
  PASSWORD,
  startAccountsHarness,
  tokenFrom,
} from "../../helpers/accounts.js";
import { forEachDatabase } from "../../helpers/databases.js";

const SIGN_IN_AT_REGISTRATION = {
  AUTHD_REQUIRE_EMAIL_VERIFICATION: "false",
  AUTHD_SIGN_IN_AT_REGISTRATION: "true",
};

forEachDatabase("sign-in at registration", (database) => {
  describe("a default deployment", () => {
    let h: AccountsHarness;
    beforeAll(async () => {
      h = await startAccountsHarness(await database.env());
    });
    afterAll(async () => {
      await h.close();
    });

    it("Register answers {} without tokens, for a new and for a taken email alike", async () => {
      const fresh = await h.auth.register({ email: "default-new@example.com", password: PASSWORD });
      expect(fresh.tokens).toBeUndefined();
      const taken = await h.auth.register({ email: "default-new@example.com", password: PASSWORD });
      expect(taken).toEqual(fresh);
      // And the unverified account cannot sign in until the link is followed.
      await h.mailTo("default-new@example.com", /verify/i);
      const error = await expectCode(
        h.auth.login({ identifier: "default-new@example.com", password: PASSWORD }),
        Code.FailedPrecondition,
      );
      expect(error.rawMessage).toMatch(/verif/i);
    });
  });

  describe("a deployment that signs in at registration", () => {
    let h: AccountsHarness;
    beforeAll(async () => {
      h = await startAccountsHarness({ ...(await database.env()), ...SIGN_IN_AT_REGISTRATION });
    });
    afterAll(async () => {
      await h.close();
    });

    it("Register answers the new account's tokens, which work at once; the verification link is still sent", async () => {
      const res = await h.auth.register({
        email: "at-once@example.com",
        password: PASSWORD,
        username: "at.once",
      });
      const tokens = res.tokens;
      expect(tokens?.accessToken).not.toBe("");
      expect(tokens?.refreshToken).not.toBe("");
      const { user } = await h.authed(tokens?.accessToken as string).getCurrentUser({});
      expect(user).toMatchObject({ id: tokens?.userId, email: "at-once@example.com", emailVerified: false });
      const refreshed = await h.auth.refresh({ refreshToken: tokens?.refreshToken as string });
      expect(refreshed.tokens?.sessionId).toBe(tokens?.sessionId);
      // Login works before the email is verified on this deployment, by email and by username.
      expect((await h.login("at-once@example.com")).userId).toBe(tokens?.userId);
      expect((await h.login("at.once")).userId).toBe(tokens?.userId);
      const mail = await h.mailTo("at-once@example.com", /verify/i);
      await h.auth.verifyEmail({ token: tokenFrom(mail) });
      expect((await h.authed(tokens?.accessToken as string).getCurrentUser({})).user?.emailVerified).toBe(
        true,
      );
    });

    it("a taken email or username answers ALREADY_EXISTS naming the field, and no account or session is made", async () => {
      await h.auth.register({ email: "taken@example.com", password: PASSWORD, username: "taken.name" });
      await expectCode(
        h.auth.register({ email: "TAKEN@example.com", password: "another long passphrase" }),
        Code.AlreadyExists,
        /^email: /,
      );
      await expectCode(
        h.auth.register({ email: "other@example.com", password: PASSWORD, username: "Taken.Name" }),
        Code.AlreadyExists,
        /^username: /,
      );
      await expectCode(
        h.auth.login({ identifier: "other@example.com", password: PASSWORD }),
        Code.Unauthenticated,
      );
      await expectCode(
        h.auth.login({ identifier: "taken@example.com", password: "another long passphrase" }),
        Code.Unauthenticated,
      );
    });

    it("of two registrations of one email at once, one gets tokens and the other ALREADY_EXISTS", async () => {
      const results = await Promise.allSettled([
        h.auth.register({ email: "race@example.com", password: PASSWORD }),
        h.auth.register({ email: "race@example.com", password: PASSWORD }),
      ]);
      const won = results.filter((r) => r.status === "fulfilled");
      const lost = results.filter((r) => r.status === "rejected");
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      const error = ConnectError.from((lost[0] as PromiseRejectedResult).reason);
      expect(Code[error.code]).toBe("AlreadyExists");
      expect(error.rawMessage).toMatch(/^email: /);
    });

    it("request checks still come first: a weak password is refused by name and makes nothing", async () => {
      await expectCode(
        h.auth.register({ email: "weak@example.com", password: "password" }),
        Code.InvalidArgument,
        /^password: /,
      );
      const res = await h.auth.register({ email: "weak@example.com", password: PASSWORD });
      expect(res.tokens?.accessToken).toBeTruthy();
    });
  });
});

describe("configuration", () => {
  it("is off by default, and refuses sign-in at registration while email verification is required", () => {
    const defaults = loadConfig({});
    expect(defaults.signInAtRegistration).toBe(false);
    expect(defaults.requireEmailVerification).toBe(true);
    expect(() => loadConfig({ AUTHD_SIGN_IN_AT_REGISTRATION: "true" })).toThrow(ConfigError);
    expect(() => loadConfig({ AUTHD_SIGN_IN_AT_REGISTRATION: "true" })).toThrow(
      /AUTHD_SIGN_IN_AT_REGISTRATION/,
    );
  });
});
