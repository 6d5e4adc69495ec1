// The browser for the tests of the web pages: Chromium driven by playwright-core. In order of
// preference: AUTHD_TEST_CHROMIUM (a path to a Chromium or Chrome binary); Debian's /usr/bin/chromium;
// otherwise the headless Chromium the `@sparticuz/chromium` npm package ships (brotli-packed inside the
// package, unpacked to the temp folder on first use), so `npm test` needs nothing but Node.
// AUTHD_TEST_NO_SYSTEM_BINARIES=1 skips Debian's Chromium (to prove the npm fallback where it exists).
import fs from "node:fs";
import { type Browser, chromium } from "playwright-core";

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
