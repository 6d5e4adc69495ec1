// An email field takes one plain mailbox and nothing else: address-list syntax (a display name, quotes,
// a trailing comma, a comment) would make the mail library deliver to the address inside it, so the
// account would be tied to one address while its mail went to another.
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertSingleRecipient, smtpSender } from "../../../src/delivery/mailer.js";
import { type AccountsHarness, expectCode, PASSWORD, startAccountsHarness } from "../../helpers/accounts.js";
import { type InProcessServer, startInProcess } from "../../helpers/in-process.js";

let h: AccountsHarness<InProcessServer>;

beforeAll(async () => {
  h = await startAccountsHarness({}, startInProcess);
});
afterAll(() => h.close());

const LIST_SYNTAX = [
  "x<victim@example.com>",
  "Mallory <victim@example.com>",
  '"victim@example.com"',
  '"mallory"@example.com',
  "victim@example.com,",
  "victim@example.com, mallory@example.org",
  "victim@example.com;mallory@example.org",
  "victim@example.com (comment)",
  "(comment)victim@example.com",
  "vic tim@example.com",
  "victim@example.com\r\nBcc: mallory@example.org",
  "victim\u0000@example.com",
  "group: victim@example.com;",
  "victim@[127.0.0.1]",
  "victim@localhost",
  "victim@example.123",
  "vic..tim@example.com",
  ".victim@example.com",
  "victim@-example.com",
  "a@b@example.com",
];

const INVALID_EMAIL = /email: is not a valid email address/;

describe("email fields accept only a plain mailbox", () => {
  it.each(LIST_SYNTAX)("Register refuses %j naming the email field", async (email) => {
    await expectCode(h.auth.register({ email, password: PASSWORD }), Code.InvalidArgument, INVALID_EMAIL);
  });

  it.each(LIST_SYNTAX)("RequestPasswordReset refuses %j", async (email) => {
    await expectCode(h.auth.requestPasswordReset({ email }), Code.InvalidArgument, INVALID_EMAIL);
  });

  it.each(LIST_SYNTAX)("ResendVerificationEmail refuses %j", async (email) => {
    await expectCode(h.auth.resendVerificationEmail({ email }), Code.InvalidArgument, INVALID_EMAIL);
  });

  it.each(LIST_SYNTAX)("CheckEmail refuses %j", async (email) => {
    await expectCode(h.auth.checkEmail({ email }), Code.InvalidArgument, INVALID_EMAIL);
  });

  it("an email change refuses address-list syntax too", async () => {
    await h.signUp("changer@example.com");
    const tokens = await h.login("changer@example.com");
    for (const email of ["x<victim@example.com>", '"victim@example.com"', "victim@example.com,"]) {
      await expectCode(
        h.authed(tokens.accessToken).updateCurrentUser({ email, currentPassword: PASSWORD }),
        Code.InvalidArgument,
        INVALID_EMAIL,
      );
    }
  });

  it("still accepts ordinary addresses, tags and subdomains included", async () => {
    for (const email of ["o'brien+tag@mail.example.co.uk", "first.last@example.com", "UPPER@Example.COM"]) {
      await h.auth.register({ email, password: PASSWORD });
      await h.mailTo(email.toLowerCase(), /verify/i);
    }
  });
});

describe("the mailer sends to one plain address only", () => {
  it.each(LIST_SYNTAX)("refuses the recipient %j", (to) => {
    expect(() => assertSingleRecipient(to)).toThrow(/refused recipient/);
  });

  it("refuses a list before talking to the SMTP server, so nobody receives it", async () => {
    const sender = smtpSender(h.smtp.url, "authd <no-reply@localhost>");
    const before = h.smtp.messages.length;
    const message = { subject: "s", text: "t", html: "<p>t</p>" };
    await expect(sender.send({ to: "x<victim@example.com>", ...message }, "id-1")).rejects.toThrow(
      /refused recipient/,
    );
    await expect(sender.send({ to: "victim@example.com,", ...message }, "id-2")).rejects.toThrow(
      /refused recipient/,
    );
    await sender.send({ to: "plain@example.com", ...message }, "id-3");
    await h.smtp.waitFor((m) => m.to.includes("plain@example.com"));
    expect(h.smtp.messages.slice(before).map((m) => m.to)).toEqual([["plain@example.com"]]);
    sender.close();
  });
});
