// The account app's "Linked accounts" screen, in headless Chromium against a real authd whose
// provider is a local OpenID Connect issuer: an identity linked through the RPC is listed, unlinks,
// and an account whose only way in is one identity is told, next to it, that it cannot unlink it.
// With a provider configured, the menu offers the screen. Each state is checked at a phone's and a
// desktop's width (no sideways scrolling, no axe-core violation) and photographed.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkScreen,
  expectSentence,
  launchBrowser,
  sameOriginEnv,
  screenshotFolder,
} from "../helpers/browser.js";
import { type MfaHarness, PASSWORD, startMfaHarness } from "../helpers/mfa.js";
import { type OidcIssuer, providerEnv, startOidcIssuer } from "../helpers/oidc-issuer.js";

let h: MfaHarness;
let issuer: OidcIssuer;
let browser: Browser;
let shots: string;

beforeAll(async () => {
  issuer = await startOidcIssuer("authd-client");
  h = await startMfaHarness({ ...(await sameOriginEnv()), ...providerEnv(issuer) });
  browser = await launchBrowser();
  shots = screenshotFolder("web-app-identities");
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
  await issuer?.close();
});

const mint = (sub: string, email: string) => issuer.mint(h.server.clock.now(), { claims: { sub, email } });

async function openLinkedAccounts(page: Page): Promise<void> {
  await page.getByRole("link", { name: "Linked accounts" }).click();
  await page.getByRole("heading", { name: "Linked accounts" }).waitFor();
}

describe("the Linked accounts screen", () => {
  let context: BrowserContext;
  afterAll(async () => context?.close());

  it("lists an identity linked through the RPC, unlinks it, and then says there are none", async () => {
    const u = await h.user("linker@example.com");
    await u.auth.linkIdentity({
      provider: "test",
      idToken: await mint("sub-linker", "linker@provider.example"),
      currentPassword: PASSWORD,
    });
    // The app offers the screen because the server names the providers it can link.
    expect((await u.auth.listLinkedIdentities({})).configuredProviders).toEqual(["test"]);
    context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${h.server.url}/sign-in`);
    await page.getByLabel("Email or username").fill(u.email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Profile" }).waitFor();

    await openLinkedAccounts(page);
    await page.getByText(/sign in with that provider in the application/).waitFor();
    // The explanation is drawn before the list is read: wait for the row, then count.
    const row = page.locator("tbody tr");
    await row.first().waitFor();
    expect(await row.count()).toBe(1);
    expect(await row.locator("td").first().textContent()).toBe("test");
    await row.getByText("linker@provider.example").waitFor();
    await checkScreen(page, shots, "01-linked-accounts");

    // Unlinking re-authenticates: the password first, then the button, reached and pressed with the keyboard.
    await page.getByLabel("Current password").fill(PASSWORD);
    await page.getByRole("button", { name: "Unlink test (linker@provider.example)" }).focus();
    await page.keyboard.press("Enter");
    await page.getByText("test (linker@provider.example) is no longer linked.").waitFor();
    await page.getByText("No linked accounts").waitFor();
    expect((await u.auth.listLinkedIdentities({})).identities).toEqual([]);
    await checkScreen(page, shots, "02-no-linked-accounts");
  });

  it("tells an account whose only way in is its one identity, next to it, that it cannot unlink it", async () => {
    const own = await browser.newContext();
    try {
      const page = await own.newPage();
      await page.goto(`${h.server.url}/sign-in`);
      await page.getByRole("heading", { name: "Sign in" }).waitFor();
      // Sign in with the provider as the app that uses authd would: LoginWithProvider with cookies,
      // from the page's own origin (Connect JSON), so the session cookies land in this browser.
      const idToken = await mint("sub-only", "only@provider.example");
      const status = await page.evaluate(
        `fetch("/authd.v1.AuthService/LoginWithProvider", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ provider: "test", idToken: ${JSON.stringify(idToken)}, authMethod: "AUTH_METHOD_COOKIE" }),
        }).then((r) => r.status)`,
      );
      expect(status).toBe(200);
      await page.goto(`${h.server.url}/account`);
      await page.getByRole("heading", { name: "Profile" }).waitFor();

      await openLinkedAccounts(page);
      const button = page.getByRole("button", { name: "Unlink test (only@provider.example)" });
      await button.click();
      const describedBy = (await button.getAttribute("aria-describedby")) as string;
      const error = page.locator(`#${describedBy}`);
      await error.waitFor();
      expect(await error.textContent()).toMatch(/only way to sign in/);
      expectSentence(await error.textContent(), "the refusal");
      // The error sits in the identity's own row, and the identity is still there.
      expect(await page.locator("tbody tr").filter({ has: error }).count()).toBe(1);
      expect(await page.locator("tbody tr").count()).toBe(1);
      await checkScreen(page, shots, "03-unlink-refused");
    } finally {
      await own.close();
    }
  });
});
