import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SessionScope } from "../../../gen/authd/v1/common_pb.js";
import { SessionService } from "../../../gen/authd/v1/session_pb.js";
import { AuditEventEntity } from "../../../src/store/entities/audit-event.js";
import {
  type AccountsHarness,
  expectCode,
  PASSWORD,
  startAccountsHarness,
  tokenFrom,
} from "../../helpers/accounts.js";
import { type InProcessServer, startInProcess } from "../../helpers/in-process.js";

let h: AccountsHarness<InProcessServer>;

beforeAll(async () => {
  h = await startAccountsHarness({}, startInProcess);
});
afterAll(() => h.close());

const NEW_PASSWORD = "an entirely new passphrase";

async function isAlive(accessToken: string): Promise<boolean> {
  const session = h.server.client(SessionService, "connect", { authorization: `Bearer ${accessToken}` });
  return session.getSession({}).then(
    () => true,
    () => false,
  );
}

describe("ChangePassword", () => {
  it("needs the current password", async () => {
    await h.signUp("change1@example.com");
    const { accessToken } = await h.login("change1@example.com");
    await expectCode(
      h.authed(accessToken).changePassword({ currentPassword: "not my password", newPassword: NEW_PASSWORD }),
      Code.Unauthenticated,
    );
    await h.login("change1@example.com", PASSWORD);
  });

  it("counts wrong current passwords, so a stolen session cannot guess the password", async () => {
    await h.signUp("guess@example.com");
    const api = h.authed((await h.login("guess@example.com")).accessToken);
    for (let i = 0; i < h.server.app.config.loginMaxFailuresPerAccount; i++) {
      await expectCode(
        api.changePassword({ currentPassword: `guess number ${i}`, newPassword: NEW_PASSWORD }),
        Code.Unauthenticated,
        /current_password/,
      );
    }
    await expectCode(
      api.changePassword({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD }),
      Code.ResourceExhausted,
      /too many wrong passwords/,
    );
    await expectCode(api.requestDeletion({ currentPassword: PASSWORD }), Code.ResourceExhausted);
    h.server.clock.advanceSeconds(3601);
    const fresh = h.authed((await h.login("guess@example.com")).accessToken);
    await fresh.changePassword({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
  });

  it("needs a caller", async () => {
    await expectCode(
      h.auth.changePassword({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD }),
      Code.Unauthenticated,
    );
  });

  it("applies the password rules to the new password, naming new_password", async () => {
    await h.signUp("change2@example.com");
    const { accessToken } = await h.login("change2@example.com");
    await expectCode(
      h.authed(accessToken).changePassword({ currentPassword: PASSWORD, newPassword: "qwertyuiop" }),
      Code.InvalidArgument,
      /new_password: is too common/,
    );
  });

  it.each([
    ["NONE", true, true],
    ["OTHERS", true, false],
    ["ALL", false, false],
  ] as const)(
    "end_sessions %s keeps current=%s, others=%s; the owner is told by email",
    async (name, current, other) => {
      const policy = SessionScope[name];
      const email = `policy${policy}@example.com`;
      await h.signUp(email);
      const mine = await h.login(email);
      const theirs = await h.login(email);
      await h
        .authed(mine.accessToken)
        .changePassword({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD, endSessions: policy });
      expect(await isAlive(mine.accessToken)).toBe(current);
      expect(await isAlive(theirs.accessToken)).toBe(other);
      await expectCode(h.auth.login({ identifier: email, password: PASSWORD }), Code.Unauthenticated);
      await h.login(email, NEW_PASSWORD);
      const notice = await h.mailTo(email, /password/i);
      expect(notice.text).toMatch(/changed/i);
    },
  );
});

describe("password reset", () => {
  it("answers the same for an unknown address and sends nothing", async () => {
    await h.signUp("reset1@example.com");
    const known = await h.auth.requestPasswordReset({ email: "reset1@example.com" });
    const unknown = await h.auth.requestPasswordReset({ email: "nobody-at-all@example.com" });
    expect(unknown).toEqual(known);
    await h.server.afterReply.settled();
    await h.server.mail.flush();
    expect(h.smtp.to("nobody-at-all@example.com")).toHaveLength(0);
  });

  it("resets with the emailed token once; the second use is refused", async () => {
    await h.signUp("reset2@example.com");
    await h.auth.requestPasswordReset({ email: "reset2@example.com" });
    const token = tokenFrom(await h.mailTo("reset2@example.com", /reset/i));
    expect((await h.auth.checkPasswordResetToken({ token })).valid).toBe(true);
    await h.auth.resetPassword({ token, newPassword: NEW_PASSWORD });
    expect((await h.auth.checkPasswordResetToken({ token })).valid).toBe(false);
    await expectCode(
      h.auth.resetPassword({ token, newPassword: "yet another passphrase" }),
      Code.InvalidArgument,
      /token/,
    );
    await h.login("reset2@example.com", NEW_PASSWORD);
    const notice = await h.mailTo("reset2@example.com", /password/i);
    expect(notice.text).not.toMatch(/token=/);
  });

  it("refuses an expired token", async () => {
    await h.signUp("reset3@example.com");
    await h.auth.requestPasswordReset({ email: "reset3@example.com" });
    const token = tokenFrom(await h.mailTo("reset3@example.com", /reset/i));
    h.server.clock.advanceSeconds(3601);
    expect((await h.auth.checkPasswordResetToken({ token })).valid).toBe(false);
    await expectCode(
      h.auth.resetPassword({ token, newPassword: NEW_PASSWORD }),
      Code.InvalidArgument,
      /token/,
    );
  });

  it("voids the older token when a newer one is requested", async () => {
    await h.signUp("reset4@example.com");
    await h.auth.requestPasswordReset({ email: "reset4@example.com" });
    const older = tokenFrom(await h.mailTo("reset4@example.com", /reset/i));
    await h.auth.requestPasswordReset({ email: "reset4@example.com" });
    await h.server.afterReply.settled();
    await h.server.mail.flush();
    await h.smtp.waitFor((m) => m.to.includes("reset4@example.com") && tokenFrom(m) !== older);
    expect((await h.auth.checkPasswordResetToken({ token: older })).valid).toBe(false);
  });

  it("keeps the token usable when the new password breaks a rule", async () => {
    await h.signUp("reset5@example.com");
    await h.auth.requestPasswordReset({ email: "reset5@example.com" });
    const token = tokenFrom(await h.mailTo("reset5@example.com", /reset/i));
    await expectCode(
      h.auth.resetPassword({ token, newPassword: "short" }),
      Code.InvalidArgument,
      /new_password/,
    );
    await h.auth.resetPassword({ token, newPassword: NEW_PASSWORD });
  });

  it("ends every session of the account", async () => {
    await h.signUp("reset6@example.com");
    const a = await h.login("reset6@example.com");
    const b = await h.login("reset6@example.com");
    await h.auth.requestPasswordReset({ email: "reset6@example.com" });
    const token = tokenFrom(await h.mailTo("reset6@example.com", /reset/i));
    await h.auth.resetPassword({ token, newPassword: NEW_PASSWORD });
    expect(await isAlive(a.accessToken)).toBe(false);
    expect(await isAlive(b.accessToken)).toBe(false);
    await expectCode(h.auth.refresh({ refreshToken: a.refreshToken }), Code.Unauthenticated);
    const user = await h.server.db.transaction((em) =>
      em.findBy(AuditEventEntity, { type: "password.reset" }),
    );
    expect(user.length).toBeGreaterThan(0);
  });

  it("rate limits reset requests per address", async () => {
    const limited = await startAccountsHarness({ AUTHD_EMAILS_PER_ADDRESS: "2" }, startInProcess);
    try {
      await limited.auth.requestPasswordReset({ email: "spam@example.com" });
      await limited.auth.requestPasswordReset({ email: "spam@example.com" });
      await expectCode(
        limited.auth.requestPasswordReset({ email: "spam@example.com" }),
        Code.ResourceExhausted,
      );
    } finally {
      await limited.close();
    }
  });
});
