// The browser for the tests of the web pages: Chromium driven by playwright-core. In order of
// preference: AUTHD_TEST_CHROMIUM (a path to a Chromium or Chrome binary); Debian's /usr/bin/chromium;
// otherwise the headless Chromium the `@sparticuz/chromium` npm package ships (brotli-packed inside the
// package, unpacked to the temp folder on first use), so `npm test` needs nothing but Node.
// AUTHD_TEST_NO_SYSTEM_BINARIES=1 skips Debian's Chromium (to prove the npm fallback where it exists).
import fs from "node:fs";
import net, { type AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { type Browser, chromium, type Locator, type Page } from "playwright-core";
import { expect } from "vitest";

const SYSTEM_CHROMIUM = "/usr/bin/chromium";

/** Flags that keep a test browser quiet and self-contained (no network of its own, no profile reuse). */
const QUIET_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * The package's recommended flags are for serverless hosts. Drop the ones that switch web security
 * off (the pages' same-origin and mixed-content behaviour is part of what the browser tests check)
 * and --single-process (closing a page would then end the whole browser).
 */
const DROPPED_FLAGS = [
  "--single-process",
  "--disable-web-security",
  "--allow-running-insecure-content",
  "--disable-site-isolation-trials",
];

interface BrowserBinary {
  executablePath: string;
  args: string[];
}

async function findChromium(): Promise<BrowserBinary> {
  const given = process.env.AUTHD_TEST_CHROMIUM;
  if (given) return { executablePath: given, args: [] };
  if (process.env.AUTHD_TEST_NO_SYSTEM_BINARIES !== "1" && fs.existsSync(SYSTEM_CHROMIUM)) {
    return { executablePath: SYSTEM_CHROMIUM, args: [] };
  }
  const { default: packaged } = await import("@sparticuz/chromium");
  const args = packaged.args.filter(
    (flag) => !flag.startsWith("--headless") && !DROPPED_FLAGS.includes(flag),
  );
  return { executablePath: await packaged.executablePath(), args };
}

/**
 * Launches a fresh headless Chromium; close it when done. playwright-core gives every launch its own
 * throwaway --user-data-dir (and refuses one passed in args), so no profile is shared between tests.
 */
export async function launchBrowser(): Promise<Browser> {
  const binary = await findChromium();
  return chromium.launch({ executablePath: binary.executablePath, args: [...binary.args, ...QUIET_FLAGS] });
}

/** The widths every screen of the account app is checked at: a common phone, and a laptop. */
export const WIDTHS = {
  phone: { width: 390, height: 844 },
  desktop: { width: 1280, height: 800 },
} as const;

const AXE = fs.readFileSync(
  path.resolve(import.meta.dirname, "../../node_modules/axe-core/axe.min.js"),
  "utf8",
);

/** A fresh folder for one test file's screenshots; its path is printed so a person can look at them. */
export function screenshotFolder(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `authd-${name}-`));
  console.log(`${name} screenshots: ${dir}`);
  return dir;
}

/** How wide the page is and how wide the window is: wider means the reader must scroll sideways. */
export function pageWidth(page: Page): Promise<{ scrollWidth: number; innerWidth: number }> {
  // A string, not a function: the test program has no DOM types.
  return page.evaluate(
    "({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })",
  );
}

/** The axe-core violations of the page (evaluated as a string, since the page's CSP forbids inline scripts). */
export async function axeViolations(page: Page): Promise<{ id: string; targets: string[] }[]> {
  await page.evaluate(AXE);
  return page.evaluate(`axe.run(document).then((result) =>
    result.violations.map((v) => ({ id: v.id, targets: v.nodes.map((n) => n.target.join(" ")) })))`);
}

/**
 * Checks the screen as it is now at a phone's and at a desktop's width: nothing wider than the
 * window (no sideways scrolling) and no axe-core violation; photographs it at both into `dir` as
 * `<name>-phone.png` and `<name>-desktop.png`. Leaves the page at the desktop width.
 */
export async function checkScreen(page: Page, dir: string, name: string): Promise<void> {
  for (const [label, size] of Object.entries(WIDTHS)) {
    await page.setViewportSize(size);
    await page.screenshot({ path: path.join(dir, `${name}-${label}.png`), fullPage: true });
    const { scrollWidth, innerWidth } = await pageWidth(page);
    expect(scrollWidth, `width of ${name} at ${label} width (${innerWidth} px)`).toBeLessThanOrEqual(
      innerWidth,
    );
    expect(await axeViolations(page), `accessibility of ${name} at ${label} width`).toEqual([]);
  }
}

/** Checks that `text` reads as a sentence: a capital letter first, a full stop last. */
export function expectSentence(text: string | null, what = "the message"): void {
  expect(text, `${what} should read as a sentence`).toMatch(/^\p{Lu}[\s\S]*\.$/u);
}

/** What errorAt reads of an element (the test program has no DOM types). */
interface ShownText {
  classList: { contains(name: string): boolean };
  hidden: boolean;
  textContent: string | null;
}

/**
 * The error shown next to a field: the visible error element that the input's aria-describedby
 * names (so a screen reader reads it with the field). Checks that it reads as a sentence.
 */
export async function errorAt(scope: Page | Locator, label: string): Promise<string> {
  const input = scope.getByLabel(label, { exact: true });
  await expect.poll(() => input.getAttribute("aria-invalid")).toBe("true");
  const text = await input.evaluate((el) =>
    (el.getAttribute("aria-describedby") ?? "")
      .split(" ")
      .map((id: string): ShownText | null => el.ownerDocument.getElementById(id))
      .filter((e: ShownText | null) => e?.classList.contains("field-error") && !e.hidden)
      .map((e: ShownText | null) => e?.textContent)
      .join(" "),
  );
  expectSentence(text, `the error at ${label}`);
  return text;
}

/** A port free right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * AUTHD_PORT and AUTHD_PUBLIC_URL for a server the browser opens: the session cookies are accepted
 * only from the public origin, so it must be the page's own.
 */
export async function sameOriginEnv(): Promise<{ AUTHD_PORT: string; AUTHD_PUBLIC_URL: string }> {
  const port = await freePort();
  return { AUTHD_PORT: String(port), AUTHD_PUBLIC_URL: `http://127.0.0.1:${port}` };
}
