// The account app's "Forgot your password" screen, in headless Chromium against a real authd and a
// real SMTP server: a reset link is asked for by username (or email), the answer does not say
// whether the account exists, and only an existing account's mailbox gets the link. Checked at a
// phone's and a desktop's width (no sideways scrolling, no axe-core violation) and photographed.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AccountsHarness, PASSWORD, startAccountsHarness } from "../helpers/accounts.js";
import { checkScreen, launchBrowser, screenshotFolder } from "../helpers/browser.js";

let h: AccountsHarness;
let browser: Browser;
let shots: string;

beforeAll(async () => {
  h = await startAccountsHarness();
  browser = await launchBrowser();
  shots = screenshotFolder("web-app-reset");
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

async function askForReset(page: Page, identifier: string): Promise<string> {
  await page.goto(`${h.server.url}/forgot-password`);
  await page.getByRole("heading", { name: "Forgot your password" }).waitFor();
  await page.getByLabel("Email or username").fill(identifier);
  await page.getByRole("button", { name: "Email me a reset link" }).click();
  const said = page.getByText(`If ${identifier} has an account`);
  await said.waitFor();
  return (await said.textContent()) ?? "";
}

describe("the Forgot your password screen", () => {
  it("asks by username or email; known and unknown answer alike, and only the known account is mailed", async () => {
    await h.signUp("forgetful@example.com", PASSWORD, "forgetful");
    const context = await browser.newContext();
    const page = await context.newPage();
    const before = h.smtp.messages.length;
    const known = await askForReset(page, "forgetful");
    await checkScreen(page, shots, "forgot-password-asked");
    const unknown = await askForReset(page, "nobody-at-all");
    expect(unknown.replace("nobody-at-all", "X")).toBe(known.replace("forgetful", "X"));
    const mail = await h.mailTo("forgetful@example.com", /reset/i);
    expect(mail.text).toMatch(/reset-password\?token=/);
    await askForReset(page, "forgetful@example.com");
    await h.mailTo("forgetful@example.com", /reset/i);
    await h.server.mail.flush();
    const sent = h.smtp.messages.slice(before);
    expect(sent).toHaveLength(2);
    expect(sent.every((m) => m.to.includes("forgetful@example.com"))).toBe(true);
    await context.close();
  });
});
