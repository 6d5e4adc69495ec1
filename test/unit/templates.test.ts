// The email texts: links from AUTHD_PUBLIC_URL, expiry stated, values escaped in HTML.
import { describe, expect, it } from "vitest";
import { createTemplates, describeMinutes, escapeHtml } from "../../src/delivery/templates.js";

const t = createTemplates("https://id.example.com/");

describe("email templates", () => {
  it.each([
    ["verifyEmail", "/verify-email"],
    ["verifyNewEmail", "/verify-email"],
    ["passwordReset", "/reset-password"],
    ["confirmDeactivation", "/confirm-deactivation"],
    ["confirmDeletion", "/confirm-deletion"],
  ] as const)("%s links to %s with the token and states the expiry", (name, path) => {
    const mail = t[name]({ token: "a+b/c=", expiresInMinutes: 30, newEmail: "new@example.com" });
    const link = `https://id.example.com${path}?token=a%2Bb%2Fc%3D`;
    expect(mail.text).toContain(link);
    expect(mail.html).toContain(`href="${link}"`);
    expect(mail.text).toContain("valid for 30 minutes");
    expect(mail.html).toContain("valid for 30 minutes");
    expect(mail.subject).not.toBe("");
  });

  it.each([
    ["passwordChanged", () => t.passwordChanged()],
    ["passwordWasReset", () => t.passwordWasReset()],
    ["emailChanged", () => t.emailChanged({ newEmail: "new@example.com" })],
    ["accountDeactivated", () => t.accountDeactivated()],
    ["accountDeleted", () => t.accountDeleted()],
    ["registrationAttempt", () => t.registrationAttempt()],
    ["secondFactorChanged", () => t.secondFactorChanged({ change: "removed", factor: "TOTP" })],
    ["identityChanged", () => t.identityChanged({ change: "linked", provider: "google" })],
  ])("%s has a subject, text and HTML", (_name, build) => {
    const mail = build();
    expect(mail.subject.length).toBeGreaterThan(5);
    expect(mail.text.length).toBeGreaterThan(20);
    expect(mail.html).toMatch(/^<!doctype html>/);
  });

  it("tells the old address which address the account moved to", () => {
    expect(t.emailChanged({ newEmail: "new@example.com" }).text).toContain("new@example.com");
  });

  it("puts a one-time code and its validity in the body, not the subject", () => {
    const mail = t.oneTimeCode({ code: "123456", expiresInMinutes: 10 });
    expect(mail.text).toContain("123456");
    expect(mail.html).toContain("123456");
    expect(mail.text).toContain("valid for 10 minutes");
    expect(mail.subject).not.toContain("123456");
  });

  it("escapes values in the HTML part", () => {
    const mail = t.emailChanged({ newEmail: '"><script>alert(1)</script>@example.com' });
    expect(mail.html).not.toContain("<script>");
    expect(mail.html).toContain("&quot;&gt;&lt;script&gt;");
    const factor = t.secondFactorChanged({ change: "added", factor: "<b>x</b>" });
    expect(factor.html).toContain("&lt;b&gt;x&lt;/b&gt;");
    expect(escapeHtml(`&<>"'`)).toBe("&amp;&lt;&gt;&quot;&#39;");
  });

  it("describes durations in words", () => {
    expect([1, 10, 60, 90, 120, 1440, 2880, 0].map(describeMinutes)).toEqual([
      "1 minute",
      "10 minutes",
      "1 hour",
      "90 minutes",
      "2 hours",
      "1 day",
      "2 days",
      "0 minutes",
    ]);
  });
});
