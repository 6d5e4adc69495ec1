// The account app as a newcomer first opens it, in headless Chromium against a real authd without
// AUTHD_PUBLIC_URL: at http://127.0.0.1:<port>/ (the address the start-up line "authd listening"
// shows) and at http://localhost:<port>/ (the app's own line), sign-in keeps its session at both.
// Opened where its session cookies are refused (a public URL set elsewhere), the app says where to go.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AccountsHarness, PASSWORD, startAccountsHarness } from "../helpers/accounts.js";
import { launchBrowser } from "../helpers/browser.js";

let browser: Browser;
const harnesses: AccountsHarness[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  for (const h of harnesses) await h.close();
});

async function start(env: Record<string, string> = {}): Promise<AccountsHarness> {
  const h = await startAccountsHarness({ AUTHD_REQUIRE_EMAIL_VERIFICATION: "false", ...env });
  harnesses.push(h);
  return h;
}

async function signIn(page: Page, base: string, email: string): Promise<void> {
  await page.goto(`${base}/sign-in`);
  await page.getByLabel("Email or username").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
}

describe("the account app without AUTHD_PUBLIC_URL", () => {
  it.each(["127.0.0.1", "localhost"])("signs in and stays signed in when opened at %s", async (host) => {
    const h = await start();
    const email = `newcomer-${host}@example.com`;
    await h.auth.register({ email, password: PASSWORD });
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const base = `http://${host}:${new URL(h.server.url).port}`;
      await signIn(page, base, email);
      await page.getByRole("heading", { name: "Profile" }).waitFor();
      // A reload asks authd who is signed in again (GetCurrentUser with the cookie).
      await page.reload();
      await page.getByRole("heading", { name: "Profile" }).waitFor();
      expect(await page.locator("#origin-warning").isVisible()).toBe(false);
    } finally {
      await context.close();
    }
  });
});

describe("the account app opened away from AUTHD_PUBLIC_URL", () => {
  it("says, before anyone signs in, at which address signing in works", async () => {
    const h = await start({ AUTHD_PUBLIC_URL: "https://auth.example.com" });
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${h.server.url}/sign-in`);
      const warning = page.locator("#origin-warning");
      await warning.waitFor();
      expect(await warning.textContent()).toBe(
        "Signing in works only at authd's public address, https://auth.example.com (AUTHD_PUBLIC_URL).",
      );
    } finally {
      await context.close();
    }
  });
});
