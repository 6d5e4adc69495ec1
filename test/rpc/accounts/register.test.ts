import http from "node:http";
import type { AddressInfo } from "node:net";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthService } from "../../../gen/authd/v1/auth_pb.js";
import { AuditEventEntity } from "../../../src/store/entities/audit-event.js";
import { UserEntity } from "../../../src/store/entities/user.js";
import {
  type AccountsHarness,
  expectCode,
  PASSWORD,
  startAccountsHarness,
  tokenFrom,
} from "../../helpers/accounts.js";
import { protocols } from "../../helpers/server.js";

let h: AccountsHarness;

beforeAll(async () => {
  h = await startAccountsHarness();
});
afterAll(() => h.close());

describe("Register", () => {
  it.each(protocols)(
    "creates an unverified account and emails a verification link (%s)",
    async (protocol) => {
      const email = `new-${protocol}@example.com`;
      await h.server.client(AuthService, protocol).register({ email, password: PASSWORD, firstName: "Ada" });
      const mail = await h.mailTo(email, /verify/i);
      // AUTHD_PUBLIC_URL is not set: links name the port the server really listens on.
      expect(mail.text).toContain(`http://localhost:${new URL(h.server.url).port}/verify-email?token=`);
      expect(mail.html).toContain("verify-email?token=");
      const user = await h.server.db.transaction((em) => em.findOneBy(UserEntity, { email }));
      expect(user?.emailVerified).toBe(false);
      expect(user?.passwordHash).toMatch(/^\$argon2id\$/);
      expect(user?.passwordHash).not.toContain(PASSWORD);
    },
  );

  it("answers an existing email exactly like a new one, and tells the owner instead", async () => {
    await h.auth.register({ email: "taken@example.com", password: PASSWORD });
    const first = await h.mailTo("taken@example.com", /verify/i);
    const again = await h.auth.register({ email: "Taken@Example.com", password: "another fine password 9" });
    expect(again).toEqual(await h.auth.register({ email: "fresh@example.com", password: PASSWORD }));
    const notice = await h.mailTo("taken@example.com", /sign up|register|account/i);
    expect(notice.subject).not.toBe(first.subject);
    expect(notice.text).not.toMatch(/token=/);
  });

  it.each([
    ["short", "Tr0ub4d", /password: must be at least 8 characters/],
    ["too long", "x".repeat(129), /password: must be at most 128 characters/],
    ["common", "password123", /password: is too common/],
    ["contains the email", "rules-tester-2024!", /password: must not contain your email/],
    ["contains the username", "xx-ruleuser-xx-99", /password: must not contain your username/],
  ])("names the rule a %s password breaks", async (_name, password, message) => {
    await expectCode(
      h.auth.register({ email: "rules-tester@example.com", password, username: "ruleuser" }),
      Code.InvalidArgument,
      message,
    );
  });

  it("counts characters, not bytes: eight emoji are a valid length", async () => {
    await h.auth.register({ email: "emoji@example.com", password: "🦄🐉🌋🛸🎻🧪🪐🦑" });
    await h.mailTo("emoji@example.com", /verify/i);
  });

  it.each([
    ["email", { email: "not-an-email" }, /email: is not a valid email address/],
    ["mobile", { mobile: "0123" }, /mobile: must be a mobile number in international format/],
    ["timezone", { timezone: "Mars/Olympus" }, /timezone: must be an IANA time zone/],
    ["language", { language: "english please" }, /language: must be a BCP 47 tag/],
    ["over-long language", { language: `en${"-abcdefgh".repeat(5)}` }, /language: must be a BCP 47 tag/],
    ["username", { username: "a b" }, /username: must be 3 to 32/],
  ])("refuses a bad %s with InvalidArgument naming the field", async (_field, fields, message) => {
    await expectCode(
      h.auth.register({ email: "fields@example.com", password: PASSWORD, ...fields }),
      Code.InvalidArgument,
      message,
    );
  });

  it("records the registration in the audit trail with IP and user agent", async () => {
    await h.auth.register({ email: "audited@example.com", password: PASSWORD });
    await h.server.afterReply.settled();
    const user = await h.server.db.transaction((em) =>
      em.findOneByOrFail(UserEntity, { email: "audited@example.com" }),
    );
    const events = await h.server.db.transaction((em) => em.findBy(AuditEventEntity, { userId: user.id }));
    expect(events.map((e) => e.type)).toContain("user.registered");
    expect(events[0]?.ip).toBe("127.0.0.1");
    expect(events[0]?.userAgent).not.toBe("");
  });
});

describe("VerifyEmail", () => {
  it("verifies once; the same link used twice is refused", async () => {
    await h.auth.register({ email: "once@example.com", password: PASSWORD });
    const token = tokenFrom(await h.mailTo("once@example.com", /verify/i));
    await h.auth.verifyEmail({ token });
    await expectCode(
      h.auth.verifyEmail({ token }),
      Code.InvalidArgument,
      /token: is invalid, expired or already used/,
    );
  });

  it("refuses an expired link", async () => {
    await h.auth.register({ email: "late@example.com", password: PASSWORD });
    const token = tokenFrom(await h.mailTo("late@example.com", /verify/i));
    h.server.clock.advanceSeconds(24 * 3600 + 1);
    await expectCode(h.auth.verifyEmail({ token }), Code.InvalidArgument, /token/);
  });

  it("voids the older link when a new one is sent", async () => {
    await h.auth.register({ email: "resend@example.com", password: PASSWORD });
    const old = tokenFrom(await h.mailTo("resend@example.com", /verify/i));
    await h.auth.resendVerificationEmail({ email: "resend@example.com" });
    h.smtp.messages.length = 0;
    const fresh = tokenFrom(await h.mailTo("resend@example.com", /verify/i));
    expect(fresh).not.toBe(old);
    await expectCode(h.auth.verifyEmail({ token: old }), Code.InvalidArgument, /token/);
    await h.auth.verifyEmail({ token: fresh });
  });

  it("answers a resend for an unknown address like for a known one", async () => {
    const known = await h.auth.resendVerificationEmail({ email: "resend@example.com" });
    const unknown = await h.auth.resendVerificationEmail({ email: "nobody-here@example.com" });
    expect(unknown).toEqual(known);
  });

  it("refuses an empty token naming the field", async () => {
    await expectCode(h.auth.verifyEmail({ token: "" }), Code.InvalidArgument, /token: is required/);
  });
});

describe("CheckEmail", () => {
  it("is off unless the operator turns it on", async () => {
    await expectCode(
      h.auth.checkEmail({ email: "taken@example.com" }),
      Code.FailedPrecondition,
      /AUTHD_REVEAL_ACCOUNTS/,
    );
  });

  it("answers whether an address is registered when AUTHD_REVEAL_ACCOUNTS=true, rate limited", async () => {
    const open = await startAccountsHarness({ AUTHD_REVEAL_ACCOUNTS: "true", AUTHD_EMAILS_PER_IP: "3" });
    try {
      await open.auth.register({ email: "here@example.com", password: PASSWORD });
      expect((await open.auth.checkEmail({ email: "here@example.com" })).exists).toBe(true);
      expect((await open.auth.checkEmail({ email: "absent@example.com" })).exists).toBe(false);
      await open.auth.checkEmail({ email: "x@example.com" });
      await expectCode(
        open.auth.checkEmail({ email: "y@example.com" }),
        Code.ResourceExhausted,
        /try again in \d+ seconds/,
      );
    } finally {
      await open.close();
    }
  });
});

describe("rate limits", () => {
  it("limits registrations per IP and says how long to wait", async () => {
    const limited = await startAccountsHarness({ AUTHD_REGISTRATIONS_PER_IP: "2" });
    try {
      await limited.auth.register({ email: "r1@example.com", password: PASSWORD });
      await limited.auth.register({ email: "r2@example.com", password: PASSWORD });
      const error = await expectCode(
        limited.auth.register({ email: "r3@example.com", password: PASSWORD }),
        Code.ResourceExhausted,
      );
      expect(error.metadata.get("retry-after")).toMatch(/^\d+$/);
      limited.server.clock.advanceSeconds(3601);
      await limited.auth.register({ email: "r3@example.com", password: PASSWORD });
    } finally {
      await limited.close();
    }
  });
});

describe("captcha", () => {
  it("checks the captcha token with the configured siteverify endpoint", async () => {
    const seen: string[] = [];
    const provider = http.createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => {
        body += chunk;
      });
      req.on("end", () => {
        const form = new URLSearchParams(body);
        seen.push(form.get("secret") ?? "");
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ success: form.get("response") === "human" }));
      });
    });
    await new Promise<void>((resolve) => provider.listen(0, "127.0.0.1", resolve));
    const { port } = provider.address() as AddressInfo;
    const guarded = await startAccountsHarness({
      AUTHD_CAPTCHA_VERIFY_URL: `http://127.0.0.1:${port}/siteverify`,
      AUTHD_CAPTCHA_SECRET: "captcha-secret",
      AUTHD_OUTBOUND_ALLOW_PRIVATE: "true",
    });
    try {
      await expectCode(
        guarded.auth.register({ email: "bot@example.com", password: PASSWORD }),
        Code.InvalidArgument,
        /captcha_token/,
      );
      await expectCode(
        guarded.auth.register({ email: "bot@example.com", password: PASSWORD, captchaToken: "robot" }),
        Code.InvalidArgument,
        /captcha_token/,
      );
      await guarded.auth.register({ email: "human@example.com", password: PASSWORD, captchaToken: "human" });
      await expectCode(
        guarded.auth.requestPasswordReset({ email: "human@example.com" }),
        Code.InvalidArgument,
        /captcha_token/,
      );
      await expectCode(
        guarded.auth.resendVerificationEmail({ email: "human@example.com" }),
        Code.InvalidArgument,
        /captcha_token/,
      );
      expect(seen).toContain("captcha-secret");
    } finally {
      await guarded.close();
      provider.close();
    }
  });
});

describe("mail outage", () => {
  it("keeps the verification email while the SMTP server is down and delivers it once it is back", async () => {
    await h.smtp.stop();
    await h.auth.register({ email: "outage@example.com", password: PASSWORD });
    await h.server.afterReply.settled();
    await h.server.mail.flush();
    expect(h.smtp.to("outage@example.com")).toHaveLength(0);
    await h.smtp.restart();
    h.server.clock.advanceSeconds(3600);
    const mail = await h.mailTo("outage@example.com", /verify/i);
    await h.auth.verifyEmail({ token: tokenFrom(mail) });
    expect(h.smtp.to("outage@example.com")).toHaveLength(1);
  });
});
