// The emailed-link pages send the user on to the continue_url the app asked for, in headless
// Chromium against a real authd: after verifying an address and after resetting a password. A
// continue_url written into the link by someone else (not the one authd stored) is never followed.
import net, { type AddressInfo } from "node:net";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AccountsHarness, PASSWORD, startAccountsHarness } from "../helpers/accounts.js";
import { launchBrowser } from "../helpers/browser.js";

let h: AccountsHarness;
let browser: Browser;
let page: Page;
let base: string;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The whole first link to `pathname` in a message, continue_url included. */
function linkFrom(text: string, pathname: string): string {
  const match = new RegExp(`https?://\\S+${pathname}\\?token=\\S+`).exec(text);
  if (!match) throw new Error(`no ${pathname} link in: ${text}`);
  return match[0];
}

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  // The app that asks for the links lives at /sign-in of the same origin here, so the browser can
  // follow the redirect without a second server.
  h = await startAccountsHarness({
    AUTHD_PORT: String(port),
    AUTHD_PUBLIC_URL: base,
    AUTHD_CONTINUE_URL_ALLOWLIST: `${base}/sign-in`,
  });
  browser = await launchBrowser();
  page = await (await browser.newContext()).newPage();
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

describe("the emailed-link pages and continue_url", () => {
  it("after verifying the address, go to the continue_url given at registration", async () => {
    const continueUrl = `${base}/sign-in?welcome=1`;
    await h.auth.register({ email: "web-continue@example.com", password: PASSWORD, continueUrl });
    const mail = await h.mailTo("web-continue@example.com", /verify/i);
    await page.goto(linkFrom(mail.text, "/verify-email"));
    await page.getByRole("button", { name: "Verify my email" }).click();
    await page.waitForURL(continueUrl);
    expect(page.url()).toBe(continueUrl);
  });

  it("after resetting the password, go to the continue_url given with the request", async () => {
    const continueUrl = `${base}/sign-in?reset=1`;
    await h.auth.requestPasswordReset({ email: "web-continue@example.com", continueUrl });
    const mail = await h.mailTo("web-continue@example.com", /reset/i);
    await page.goto(linkFrom(mail.text, "/reset-password"));
    await page.getByLabel("New password").fill("a brand new passphrase");
    await page.getByLabel("Type it again").fill("a brand new passphrase");
    await page.getByRole("button", { name: "Set the new password" }).click();
    await page.waitForURL(continueUrl);
  });

  it("never follows a continue_url written into the link instead of the one authd stored", async () => {
    await h.auth.register({ email: "web-plain@example.com", password: PASSWORD });
    const mail = await h.mailTo("web-plain@example.com", /verify/i);
    const link = linkFrom(mail.text, "/verify-email");
    expect(link).not.toMatch(/continue_url/);
    await page.goto(`${link}&continue_url=${encodeURIComponent("https://evil.example/")}`);
    await page.getByRole("button", { name: "Verify my email" }).click();
    await page.getByText("Your email address is verified").waitFor();
    expect(new URL(page.url()).origin).toBe(base);
    await page.getByRole("link", { name: "Sign in" }).waitFor();
  });
});
