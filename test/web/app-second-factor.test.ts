// The second-factor step of sign-in in the account app, in headless Chromium against a real authd,
// for an account whose only factor is an authenticator app added in the app itself: nothing is
// offered to send a code to, and the code that confirmed the factor, typed again, is refused as
// already used (not as wrong) beside the code field, until the app shows the next one.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkScreen, errorAt, launchBrowser, sameOriginEnv, screenshotFolder } from "../helpers/browser.js";
import { appCode, type MfaHarness, PASSWORD, startMfaHarness } from "../helpers/mfa.js";

let h: MfaHarness;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let shots: string;

beforeAll(async () => {
  h = await startMfaHarness(await sameOriginEnv());
  browser = await launchBrowser();
  context = await browser.newContext();
  page = await context.newPage();
  shots = screenshotFolder("web-app-second-factor");
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

async function signIn(email: string): Promise<void> {
  await page.goto(`${h.server.url}/sign-in`);
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  await page.getByLabel("Email or username").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
}

describe("the second-factor step, for an account with only an authenticator app", () => {
  it("offers no code to send, refuses the enrolment code typed again as already used, and takes the next one", async () => {
    const u = await h.user("app-only@example.com");
    await signIn(u.email);
    await page.getByRole("heading", { name: "Profile" }).waitFor();
    await page.getByRole("link", { name: "Second factors" }).click();
    await page.getByRole("button", { name: "Add: Authenticator app" }).click();
    await page.getByLabel("Current password").fill(PASSWORD);
    await page.getByRole("button", { name: "Start adding Authenticator app" }).click();
    const secret = (await page.locator("#totp-secret").textContent()) ?? "";
    const enrolmentCode = appCode(secret, h.server.clock.now());
    await page.getByLabel("Code", { exact: true }).fill(enrolmentCode);
    await page.getByRole("button", { name: "Confirm", exact: true }).click();
    await page.getByText("Authenticator app is active").waitFor();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();

    await signIn(u.email);
    await page.getByRole("heading", { name: "Second factor" }).waitFor();
    await page.getByText("Using: Authenticator app").waitFor();
    // An authenticator app makes its own codes: there is nothing to send.
    expect(await page.getByRole("button", { name: "Send me a code" }).isVisible()).toBe(false);
    await checkScreen(page, shots, "01-second-factor-app-only");

    // Within the same 30 seconds the app still shows the code that confirmed it: authd takes each
    // code once, and says that is why.
    await page.getByLabel("Code", { exact: true }).fill(enrolmentCode);
    await page.getByRole("button", { name: "Verify" }).click();
    const said = await errorAt(page, "Code");
    expect(said).toMatch(/already used/);
    expect(said).toMatch(/next/);
    expect(said).not.toMatch(/wrong|expired/);
    await checkScreen(page, shots, "02-second-factor-code-already-used");

    h.server.clock.advanceSeconds(30);
    await page.getByLabel("Code", { exact: true }).fill(appCode(secret, h.server.clock.now()));
    await page.getByRole("button", { name: "Verify" }).click();
    await page.getByRole("heading", { name: "Profile" }).waitFor();
  });
});
