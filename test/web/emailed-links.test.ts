// The pages behind the emailed links, in a real browser (Chromium driven by playwright-core; see
// helpers/browser.ts). Each screen is checked at a phone's and a desktop's width and photographed.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { UserEntity } from "../../src/store/entities/user.js";
import { type AccountsHarness, PASSWORD, startAccountsHarness, tokenFrom } from "../helpers/accounts.js";
import { checkScreen, errorAt, expectSentence, launchBrowser, screenshotFolder } from "../helpers/browser.js";

let h: AccountsHarness;
let browser: Browser;
let page: Page;
let shots: string;

beforeAll(async () => {
  h = await startAccountsHarness();
  browser = await launchBrowser();
  shots = screenshotFolder("web-links");
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});
beforeEach(async () => {
  page = await browser.newPage();
  return () => page.close();
});

const user = (email: string) => h.server.db.transaction((em) => em.findOneBy(UserEntity, { email }));

describe("the emailed links, in a browser", () => {
  it("verify an email address with one click, and take the token out of the address bar", async () => {
    await h.auth.register({ email: "browser@example.com", password: PASSWORD });
    const token = tokenFrom(await h.mailTo("browser@example.com", /verify/i));
    const response = await page.goto(`${h.server.url}/verify-email?token=${token}`);
    expect(response?.headers()["referrer-policy"]).toBe("strict-origin");
    expect(response?.headers()["content-security-policy"]).toContain("default-src 'none'");
    expect(response?.headers()["cache-control"]).toBe("no-store");
    await page.getByRole("heading", { name: "Verify your email address" }).waitFor();
    expect(page.url()).toBe(`${h.server.url}/verify-email`);
    // Opening the link alone must not use the token up (mail scanners open links).
    expect((await user("browser@example.com"))?.emailVerified).toBe(false);
    await page.getByRole("button", { name: "Verify my email" }).click();
    await page.getByText("Your email address is verified").waitFor();
    expect((await user("browser@example.com"))?.emailVerified).toBe(true);
  });

  it("say so when a verification link was already used", async () => {
    await h.auth.register({ email: "twice@example.com", password: PASSWORD });
    const token = tokenFrom(await h.mailTo("twice@example.com", /verify/i));
    await h.auth.verifyEmail({ token });
    await page.goto(`${h.server.url}/verify-email?token=${token}`);
    await page.getByRole("button", { name: "Verify my email" }).click();
    const said = page.getByRole("status");
    await expect.poll(() => said.textContent()).toMatch(/already used/);
    expectSentence(await said.textContent(), "the refusal");
    await checkScreen(page, shots, "verify-email-used");
  });

  it("reset a password: mismatch and rule errors are shown, then the new password works", async () => {
    await h.signUp("forgot@example.com");
    await h.auth.requestPasswordReset({ email: "forgot@example.com" });
    const token = tokenFrom(await h.mailTo("forgot@example.com", /reset/i));
    await page.goto(`${h.server.url}/reset-password?token=${token}`);
    await page.getByLabel("New password").fill("a lovely new passphrase");
    await page.getByLabel("Type it again").fill("a different passphrase");
    await page.getByRole("button", { name: "Set the new password" }).click();
    expect(await errorAt(page, "Type it again")).toBe("The two passwords are not the same.");
    await page.getByLabel("New password").fill("password1234");
    await page.getByLabel("Type it again").fill("password1234");
    await page.getByRole("button", { name: "Set the new password" }).click();
    expect(await errorAt(page, "New password")).toMatch(/too common/);
    await checkScreen(page, shots, "reset-password-too-common");
    await page.getByLabel("New password").fill("a lovely new passphrase");
    await page.getByLabel("Type it again").fill("a lovely new passphrase");
    await page.getByRole("button", { name: "Set the new password" }).click();
    await page.getByText("Your password is changed").waitFor();
    await h.login("forgot@example.com", "a lovely new passphrase");
  });

  it("tell that a reset link has expired before asking for a password", async () => {
    await h.signUp("expired@example.com");
    await h.auth.requestPasswordReset({ email: "expired@example.com" });
    const token = tokenFrom(await h.mailTo("expired@example.com", /reset/i));
    h.server.clock.advanceSeconds(3601);
    await page.goto(`${h.server.url}/reset-password?token=${token}`);
    await page.getByText("This link is invalid, has expired, or was already used.").waitFor();
    expect(await page.getByLabel("New password").isVisible()).toBe(false);
  });

  it("delete an account after a click on the emailed confirmation", async () => {
    await h.signUp("bye@example.com");
    const api = h.authed((await h.login("bye@example.com")).accessToken);
    await api.requestDeletion({ currentPassword: PASSWORD });
    const token = tokenFrom(await h.mailTo("bye@example.com", /delet/i));
    await page.goto(`${h.server.url}/confirm-deletion?token=${token}`);
    await page.getByRole("button", { name: "Delete my account permanently" }).click();
    await page.getByText("Your account is deleted.").waitFor();
    expect(await user("bye@example.com")).toBeNull();
  });

  it("deactivate an account after a click on the emailed confirmation", async () => {
    await h.signUp("pause@example.com");
    const api = h.authed((await h.login("pause@example.com")).accessToken);
    await api.requestDeactivation({ currentPassword: PASSWORD });
    const token = tokenFrom(await h.mailTo("pause@example.com", /deactivat/i));
    await page.goto(`${h.server.url}/confirm-deactivation?token=${token}`);
    await page.getByRole("heading", { name: "Deactivate your account" }).waitFor();
    await checkScreen(page, shots, "confirm-deactivation");
    await page.getByRole("button", { name: "Deactivate my account" }).click();
    await page.getByText("Your account is deactivated.").waitFor();
    expect((await user("pause@example.com"))?.status).toBe("deactivated");
  });
});
