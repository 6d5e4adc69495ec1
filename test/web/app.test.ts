// The account app at `/`, walked through in headless Chromium (playwright-core) against a real authd
// and a real SMTP server: sign up, verify from the emailed link, sign in, profile, sessions,
// password, TOTP, recovery codes, sign out, sign in with the second factor, trusted devices, API
// keys, deletion. Every screen is checked at a phone's and a desktop's width (no sideways scrolling,
// no axe-core violation) and photographed at both into a folder the test prints; every error reads
// as a sentence beside the field it concerns.
import fs from "node:fs";
import path from "node:path";
import { Code } from "@connectrpc/connect";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AuthService } from "../../gen/authd/v1/auth_pb.js";
import { SessionService } from "../../gen/authd/v1/session_pb.js";
import { UserEntity } from "../../src/store/entities/user.js";
import { expectCode, PASSWORD } from "../helpers/accounts.js";
import {
  checkScreen,
  errorAt,
  expectSentence,
  launchBrowser,
  sameOriginEnv,
  screenshotFolder,
  WIDTHS,
} from "../helpers/browser.js";
import { appCode, type MfaHarness, startMfaHarness } from "../helpers/mfa.js";
import { createUser } from "../helpers/sessions.js";

const EMAIL = "walker@example.com";
const NEW_PASSWORD = "a brand new passphrase";

let h: MfaHarness;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let shots: string;
let shotCount = 0;
/** Console errors (a CSP violation among them) seen in the page. */
const consoleErrors: string[] = [];

beforeAll(async () => {
  h = await startMfaHarness(await sameOriginEnv());
  browser = await launchBrowser();
  context = await browser.newContext({ acceptDownloads: true });
  page = await context.newPage();
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  shots = screenshotFolder("web-app");
});
beforeEach(({ task, onTestFailed }) => {
  onTestFailed(async () => {
    await page.screenshot({ path: path.join(shots, `failed-${task.name.slice(0, 40)}.png`), fullPage: true });
    console.log(`failed at ${page.url()}; screenshot in ${shots}`);
  });
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

/** Checks the screen at both widths and photographs it, numbered in the order of the walk. */
async function screen(name: string): Promise<void> {
  shotCount += 1;
  await checkScreen(page, shots, `${String(shotCount).padStart(2, "0")}-${name}`);
}

const linkFrom = (text: string, pathname: string) => {
  const match = new RegExp(`https?://\\S+${pathname}\\?token=[A-Za-z0-9_%-]+`).exec(text);
  if (!match) throw new Error(`no ${pathname} link in: ${text}`);
  return match[0];
};

const code = () => appCode(totpSecret, h.server.clock.now());
let totpSecret = "";

describe("the account app, walked through in a browser", () => {
  it("opens at / on the sign-in screen, with the strict headers", async () => {
    const response = await page.goto(`${h.server.url}/`);
    expect(response?.headers()["content-security-policy"]).toContain("script-src 'self'");
    expect(response?.headers()["referrer-policy"]).toBe("strict-origin");
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/sign-in");
    await screen("sign-in");
  });

  it("signs up, with a refused password shown at its field", async () => {
    await page.getByRole("link", { name: "Create an account" }).click();
    await page.getByRole("heading", { name: "Create an account" }).waitFor();
    await screen("sign-up");
    await page.getByLabel("Email").fill(EMAIL);
    await page.getByLabel("Password", { exact: true }).fill("password1234");
    await page.getByRole("button", { name: "Create account" }).click();
    expect(await errorAt(page, "Password")).toMatch(/too common/);
    await screen("sign-up-error");
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByText(`We sent a verification link to ${EMAIL}`).waitFor();
    await screen("sign-up-done");
  });

  it("verifies the address from the link in the email", async () => {
    const mail = await h.mailTo(EMAIL, /verify/i);
    await page.goto(linkFrom(mail.text, "/verify-email"));
    await page.getByRole("heading", { name: "Verify your email address" }).waitFor();
    expect(page.url()).toBe(`${h.server.url}/verify-email`);
    await screen("verify-email");
    await page.getByRole("button", { name: "Verify my email" }).click();
    await page.getByText("Your email address is verified").waitFor();
    await page.getByRole("link", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
  });

  it("shows a wrong password at the password field, then signs in with the keyboard", async () => {
    await page.getByLabel("Email or username").fill(EMAIL);
    await page.getByLabel("Password").fill("not my password at all");
    await page.getByRole("button", { name: "Sign in" }).click();
    expect(await errorAt(page, "Password")).toMatch(/password is not correct/);
    await expect.poll(() => page.evaluate("document.activeElement.id")).toMatch(/password/);
    await screen("sign-in-wrong-password");
    await page.getByLabel("Password").fill("");
    await page.getByLabel("Password").pressSequentially(PASSWORD);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Profile" }).waitFor();
    await screen("profile");
  });

  it("offers no Linked accounts in the menu when the server has no provider to link", async () => {
    await page.getByRole("navigation", { name: "Account" }).getByRole("link", { name: "Profile" }).waitFor();
    expect(await page.getByRole("link", { name: "Linked accounts" }).count()).toBe(0);
  });

  it("keeps the session in HttpOnly cookies: nothing in storage a script can read", async () => {
    const stored = await page.evaluate(
      "({ local: localStorage.length, session: sessionStorage.length, cookies: document.cookie })",
    );
    expect(stored).toEqual({ local: 0, session: 0, cookies: "" });
    const cookies = await context.cookies();
    expect(cookies.map((c) => c.name).sort()).toEqual(["authd_access", "authd_refresh"]);
    expect(cookies.every((c) => c.httpOnly)).toBe(true);
  });

  it("changes the profile", async () => {
    await page.getByLabel("First name").fill("Walker");
    await page.getByLabel("Date of birth").fill("1990-04-01");
    await page.getByLabel("Job title").fill("Tester");
    await page.getByLabel("Picture URL").fill("http://cdn.example.com/me.png");
    await page.getByRole("button", { name: "Save profile" }).click();
    expect(await errorAt(page, "Picture URL")).toContain("https");
    await page.getByLabel("Picture URL").fill("https://cdn.example.com/me.png");
    await page.getByRole("button", { name: "Save profile" }).click();
    await page.getByText("Saved.").waitFor();
    const user = await h.server.db.transaction((em) => em.findOneBy(UserEntity, { email: EMAIL }));
    expect(user).toMatchObject({
      firstName: "Walker",
      birthDate: "1990-04-01",
      jobTitle: "Tester",
      avatarUrl: "https://cdn.example.com/me.png",
    });
  });

  it("lists the sessions, signs one other out, then all the others", async () => {
    // A second apart, so that "newest first" is one order (sessions made in the same millisecond
    // are ordered by id, which is random).
    const others: Awaited<ReturnType<typeof h.login>>[] = [];
    for (let i = 0; i < 3; i++) {
      h.server.clock.advanceSeconds(1);
      others.push(await h.login(EMAIL));
    }
    await page.getByRole("link", { name: "Sessions" }).click();
    await page.getByRole("heading", { name: "Sessions" }).waitFor();
    await page.getByText("This session").waitFor();
    expect(await page.locator("tbody tr").count()).toBe(4);
    await screen("sessions");
    // The other sessions signed in from Node: newest first, so the first button ends others[2].
    await page
      .getByRole("button", { name: /^Sign out .*127\.0\.0\.1/ })
      .first()
      .click();
    await page.getByText(/^Signed out /).waitFor();
    expect(await page.locator("tbody tr").count()).toBe(3);
    const stillActive = async () =>
      Promise.all(
        others.map((o) =>
          h.auth.refresh({ refreshToken: o.refreshToken }).then(
            () => true,
            () => false,
          ),
        ),
      );
    expect(await stillActive()).toEqual([true, true, false]);
    await page.getByRole("button", { name: "Sign out all other sessions" }).click();
    await page.getByText("Signed out 2 other sessions.").waitFor();
    expect(await page.locator("tbody tr").count()).toBe(1);
    // Nothing left to sign out: the button is hidden, not merely useless.
    expect(await page.getByRole("button", { name: "Sign out all other sessions" }).isVisible()).toBe(false);
    await screen("sessions-others-ended");
    await expectCode(h.auth.refresh({ refreshToken: others[0]!.refreshToken }), Code.Unauthenticated);
  });

  it("changes the password, the wrong current one shown at its field", async () => {
    await page.getByRole("link", { name: "Password" }).click();
    await page.getByLabel("Current password").fill("not my password at all");
    await page.getByLabel("New password").fill(NEW_PASSWORD);
    await page.getByLabel("Type it again").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Change password" }).click();
    expect(await errorAt(page, "Current password")).toMatch(/password is not correct/);
    await screen("password-wrong");
    await page.getByLabel("Current password").fill(PASSWORD);
    await page.getByRole("button", { name: "Change password" }).click();
    await page.getByText("Your password is changed.").waitFor();
    await screen("password-changed");
  });

  it("adds an authenticator app from its QR code and a code computed from its key", async () => {
    await page.getByRole("link", { name: "Second factors" }).click();
    await page.getByText("No second factor yet").waitFor();
    await screen("factors");
    await page.getByRole("button", { name: "Add: Authenticator app" }).click();
    await page.getByLabel("Current password").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Start adding Authenticator app" }).click();
    const qr = page.getByRole("img", { name: "QR code of your authenticator key" });
    await qr.waitFor();
    expect(await qr.getAttribute("src")).toMatch(/^data:image\/svg\+xml/);
    expect(
      await qr.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
    ).toBeGreaterThan(0);
    totpSecret = (await page.locator("#totp-secret").textContent()) ?? "";
    expect(totpSecret).toMatch(/^[A-Z2-7]{32}$/);
    await screen("totp-qr");
    await page.getByLabel("Code", { exact: true }).fill("000000");
    await page.getByRole("button", { name: "Confirm", exact: true }).click();
    expect(await errorAt(page, "Code")).toMatch(/code/);
    await page.getByLabel("Code", { exact: true }).fill(code());
    await page.getByRole("button", { name: "Confirm", exact: true }).click();
    await page.getByText("Authenticator app is active").waitFor();
    await page.getByRole("cell", { name: "Active" }).waitFor();
    await screen("totp-active");
  });

  it("16 minutes later (access token expired, step-up stale) refreshes the session, asks for a code, then creates recovery codes to download", async () => {
    // Past the access token's 15 minutes and the step-up's 10: the app must refresh the session from
    // its cookie on its own, and authd now wants a fresh second factor for the change.
    h.server.clock.advanceSeconds(16 * 60);
    await page.getByRole("button", { name: "Add: Recovery codes" }).click();
    await page.getByLabel("Current password").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Start adding Recovery codes" }).click();
    await page.getByRole("heading", { name: "Confirm it is you" }).waitFor();
    const asked = page.getByText("Confirm with a code from one of your factors first");
    await asked.waitFor();
    expectSentence(await asked.textContent(), "the step-up request");
    await screen("step-up");
    await page.getByLabel("Code", { exact: true }).fill(code());
    await page.getByRole("button", { name: "Confirm it is you" }).click();
    await page.getByText("Now try the change again").waitFor();
    await page.getByRole("button", { name: "Start adding Recovery codes" }).click();
    const codes = page.getByRole("list", { name: "Recovery codes" });
    await codes.waitFor();
    const shown = await codes.getByRole("listitem").allTextContents();
    expect(shown).toHaveLength(10);
    await screen("recovery-codes");
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Download the codes" }).click(),
    ]);
    const text = fs.readFileSync((await download.path()) ?? "", "utf8");
    for (const c of shown) expect(text).toContain(c);
  });

  it("adds email as a factor with the emailed code, then removes it with the password", async () => {
    await page.getByRole("button", { name: "Add: Email" }).click();
    await page.getByLabel("Current password").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Start adding Email" }).click();
    await page.getByText(/^We sent a code to /).waitFor();
    await page.getByLabel("Code", { exact: true }).fill(await h.emailCode(EMAIL));
    await page.getByRole("button", { name: "Confirm", exact: true }).click();
    await page.getByText(/^Email .* is active/).waitFor();
    await screen("email-factor-active");
    await page.getByRole("button", { name: /^Remove Email/ }).click();
    await page
      .getByRole("form", { name: /^Remove Email/ })
      .getByLabel("Current password")
      .fill(NEW_PASSWORD);
    await page
      .getByRole("form", { name: /^Remove Email/ })
      .getByRole("button", { name: /^Remove Email/ })
      .click();
    await page.getByText(/^Email .* is removed/).waitFor();
    expect(await page.getByRole("button", { name: /^Remove Email/ }).count()).toBe(0);
    await screen("email-factor-removed");
  });

  it("adds a mobile number in the profile, confirms it with the texted code, then adds text messages as a factor", async () => {
    const mobile = "+61491570006";
    await page.getByRole("link", { name: "Profile" }).click();
    await page.getByLabel("Mobile number").fill(mobile);
    await page.getByLabel("Current password").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Save profile" }).click();
    await page.getByText("Saved.").waitFor();
    await page.getByRole("heading", { name: "Confirm your mobile number" }).waitFor();
    await page.getByLabel("Code from the text message").fill(await h.smsCode(mobile));
    await page.getByRole("button", { name: "Confirm mobile number" }).click();
    await page.getByText("Your mobile number is confirmed.").waitFor();
    await screen("mobile-confirmed");
    await page.getByRole("link", { name: "Second factors" }).click();
    await page.getByRole("button", { name: "Add: Text message" }).click();
    await page.getByLabel("Mobile number").fill(mobile);
    await page.getByLabel("Current password").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Start adding Text message" }).click();
    await page.getByText(/^We sent a code to /).waitFor();
    await page.getByLabel("Code", { exact: true }).fill(await h.smsCode(mobile));
    await page.getByRole("button", { name: "Confirm", exact: true }).click();
    await page.getByText(/^Text message .* is active/).waitFor();
    await screen("sms-factor-active");
  });

  it("signs out, then signs in with the second factor and remembers the device", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    expect(await context.cookies()).toEqual([]);
    await page.getByLabel("Email or username").fill(EMAIL);
    await page.getByLabel("Password").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Second factor" }).waitFor();
    // "Send me a code" is for the factors authd sends a code to, and only for them.
    const send = page.getByRole("button", { name: "Send me a code" });
    await page.getByLabel(/^Text message/).check();
    expect(await send.isVisible()).toBe(true);
    await page.getByLabel("Recovery code").check();
    expect(await send.isVisible()).toBe(false);
    await page.getByLabel("Authenticator app").check();
    expect(await send.isVisible()).toBe(false);
    await screen("second-factor");
    h.server.clock.advanceSeconds(30);
    await page.getByLabel("Code", { exact: true }).fill(code());
    await page.getByLabel("Remember this device").check();
    await page.getByRole("button", { name: "Verify" }).click();
    await page.getByRole("heading", { name: "Profile" }).waitFor();
    // The device token outlives the page as an HttpOnly cookie, never in script-readable storage.
    const device = (await context.cookies()).find((c) => c.name === "authd_device");
    expect(device?.value).toMatch(/^dev_/);
    expect(device?.httpOnly).toBe(true);
    expect(await page.evaluate("localStorage.length + sessionStorage.length")).toBe(0);
  });

  it("lists the trusted device and forgets it", async () => {
    await page.getByRole("link", { name: "Trusted devices" }).click();
    const forget = page.getByRole("button", { name: /^Forget Chrome on Linux/ });
    await forget.waitFor();
    await screen("trusted-devices");
    await forget.click();
    await page.getByText("No trusted devices.").waitFor();
  });

  it("creates an API key with a scope, shows it once, and revokes it", async () => {
    await page.getByRole("link", { name: "API keys" }).click();
    await page.getByRole("heading", { name: "API keys" }).waitFor();
    await screen("api-keys");
    await page.getByLabel("Name").fill("backup script");
    await page.getByLabel("Current password").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Create API key" }).click();
    // Without a scope: said at the scopes, not under the password that was right.
    expect(await errorAt(page, "Read the profile (profile:read)")).toMatch(/scope/i);
    expect(await page.getByLabel("Current password").getAttribute("aria-invalid")).toBeNull();
    expect(await page.getByRole("alert").count()).toBe(0);
    await screen("api-key-no-scope");
    await page.getByLabel("Read the profile (profile:read)").check();
    await page.getByLabel("Current password").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Create API key" }).click();
    const shown = page.locator("#api-key-secret");
    const secret = (await shown.textContent()) ?? "";
    expect(secret).toMatch(/^authd_/);
    await screen("api-key-created");
    // At a phone's width the key stays inside its box (wrapped, not spilling out of it).
    await page.setViewportSize(WIDTHS.phone);
    const box = await page.getByRole("region", { name: "Your new API key" }).boundingBox();
    const key = await shown.boundingBox();
    if (!box || !key) throw new Error("the new key is not shown");
    expect(key.x + key.width).toBeLessThanOrEqual(box.x + box.width);
    await page.setViewportSize(WIDTHS.desktop);
    const asKey = h.server.client(AuthService, "connect", { "x-api-key": secret });
    expect((await asKey.getCurrentUser({})).user?.email).toBe(EMAIL);
    await expectCode(
      h.server.client(SessionService, "connect", { "x-api-key": secret }).listSessions({}),
      Code.PermissionDenied,
    );
    await page.reload();
    await page.getByRole("cell", { name: "backup script", exact: true }).waitFor();
    expect(await page.getByText(secret).count()).toBe(0);
    await page.getByRole("button", { name: "Revoke backup script" }).click();
    await page.getByText("is revoked").waitFor();
    await screen("api-key-revoked");
    await expectCode(asKey.getCurrentUser({}), Code.Unauthenticated);
  });

  it("deletes the account through the emailed confirmation", async () => {
    await page.getByRole("link", { name: "Close account" }).click();
    await page.getByRole("heading", { name: "Close your account" }).waitFor();
    await screen("close-account");
    await page
      .getByRole("form", { name: "Delete the account" })
      .getByLabel("Current password")
      .fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Email me a deletion link" }).click();
    await page.getByText("Open it to confirm the deletion").waitFor();
    const mail = await h.mailTo(EMAIL, /delet/i);
    await page.goto(linkFrom(mail.text, "/confirm-deletion"));
    await page.getByRole("button", { name: "Delete my account permanently" }).click();
    await page.getByText("Your account is deleted.").waitFor();
    await screen("deleted");
    expect(await h.server.db.transaction((em) => em.findOneBy(UserEntity, { email: EMAIL }))).toBeNull();
  });

  it("signs a company's user in from the company's link (?tenant=); without it, the address is not found", async () => {
    const tenant = await h.server.app.tenants.create({ slug: "acme", name: "Acme" }, null, {
      ip: "127.0.0.1",
      rateLimitKey: "127.0.0.1",
      userAgent: "vitest",
    });
    // Accounts belong to one tenant: on the default tenant this address has none.
    const member = await createUser(h.server, { tenantId: tenant.id });
    await page.goto(`${h.server.url}/sign-in`);
    await page.getByLabel("Email or username").fill(member.email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    expect(await errorAt(page, "Password")).toMatch(/password is not correct/);

    await page.goto(`${h.server.url}/sign-in?tenant=acme`);
    await page.getByText("Company: acme").waitFor();
    await screen("sign-in-company");
    // Moving to another public screen and back keeps the company.
    // Each screen's heading first: both screens have an "Email or username" field and the company
    // line, so filling before the next screen is drawn would fill the one going away.
    await page.getByRole("link", { name: "Forgot your password?" }).click();
    await page.getByRole("heading", { name: "Forgot your password" }).waitFor();
    await page.getByText("Company: acme").waitFor();
    await screen("forgot-password-company");
    await page.getByRole("link", { name: "Back to sign in" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await page.getByLabel("Email or username").fill(member.email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Profile" }).waitFor();
    expect(await page.getByLabel("Email", { exact: true }).inputValue()).toBe(member.email);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();

    // `?tenant=` with nothing after it is the default tenant again.
    await page.goto(`${h.server.url}/sign-in?tenant=`);
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    expect(await page.getByText("Company:").count()).toBe(0);
  });

  it("logged no error in the page (a CSP violation would show here)", () => {
    expect(consoleErrors).toEqual([]);
  });
});
