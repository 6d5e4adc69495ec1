// The browser example of examples/ (a page on its own origin that signs in over gRPC-Web and shows
// the current user), bundled and served as its README says, driven in Chromium against a real authd
// that lists the page's origin in AUTHD_CORS_ORIGINS.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AccountsHarness, PASSWORD, startAccountsHarness } from "../helpers/accounts.js";
import { freePort, launchBrowser } from "../helpers/browser.js";
import { type RunningExample, startNodeExample } from "../helpers/examples.js";

let h: AccountsHarness;
let site: RunningExample;
let browser: Browser;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  const port = await freePort();
  h = await startAccountsHarness({ AUTHD_CORS_ORIGINS: `http://127.0.0.1:${port}` });
  site = await startNodeExample("examples/browser-grpc-web/serve.ts", {
    AUTHD_URL: h.server.url,
    PORT: String(port),
  });
  await h.signUp("browser-example@example.com");
  browser = await launchBrowser();
  page = await (await browser.newContext()).newPage();
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(message.text());
  });
  page.on("pageerror", (error) => problems.push(error.message));
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await site?.stop();
  await h?.close();
});

describe("examples/browser-grpc-web", () => {
  it("tells a wrong password in a sentence", async () => {
    await page.goto(site.url);
    await page.getByLabel("Email or username").fill("browser-example@example.com");
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect
      .poll(() => page.getByRole("status").textContent())
      .toBe("Wrong email, username or password.");
  });

  it("signs in over gRPC-Web from its own origin and shows the current user", async () => {
    await page.goto(site.url);
    await page.getByLabel("Email or username").fill("browser-example@example.com");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect
      .poll(() => page.getByRole("status").textContent())
      .toBe("Signed in as browser-example@example.com.");
    // No CORS or CSP refusal, no script error on the way (a refused preflight logs one).
    expect(problems).toEqual([]);
  });
});
