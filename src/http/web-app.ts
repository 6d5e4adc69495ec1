// The account app (web/app/) on the same port as the RPCs: its HTML at `/` and at each of its
// routes (the emailed links among them), its script bundled at build time into dist/web/app.js
// (`npm run build:web`), its stylesheet. Nothing is fetched from elsewhere at run time. The pages
// get the same strict headers as the emailed-link pages, plus `img-src data:` for the TOTP QR code
// authd answers as an SVG data URL.
import fs from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import path from "node:path";
import type { Config } from "../config.js";
import { packageRoot } from "../package-root.js";

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;

const ROOT = packageRoot;

/** The app's screens; each answers the same HTML, and the app picks the screen by path. */
export const APP_ROUTES = new Set([
  "/",
  "/sign-in",
  "/sign-up",
  "/forgot-password",
  "/verify-email",
  "/reset-password",
  "/confirm-deactivation",
  "/confirm-deletion",
  "/account",
  "/account/password",
  "/account/factors",
  "/account/sessions",
  "/account/api-keys",
  "/account/devices",
  "/account/linked-accounts",
  "/account/close",
]);

const ASSETS: Record<string, { file: string; type: string }> = {
  "/app/app.js": { file: path.join(ROOT, "dist", "web", "app.js"), type: "text/javascript; charset=utf-8" },
  "/app/app.css": { file: path.join(ROOT, "web", "app", "app.css"), type: "text/css; charset=utf-8" },
};

const HTML_FILE = path.join(ROOT, "web", "app", "index.html");

const SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'",
  // The emailed links carry single-use tokens in their URL: never send it elsewhere.
  "Referrer-Policy": "strict-origin",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Cache-Control": "no-store",
};

const cache = new Map<string, Buffer>();

function read(file: string, build: () => Buffer): Buffer {
  let body = cache.get(file);
  if (!body) {
    body = build();
    cache.set(file, body);
  }
  return body;
}

const escapeAttribute = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * Answers the request if it is for the app's HTML or one of its assets; returns false otherwise.
 * The public URL's origin and the app's loopback origins go into the page, so the app can say when
 * it is opened anywhere else, where the session cookies would be refused.
 */
export function serveWebApp(
  config: Pick<Config, "publicUrl" | "localAppOrigins">,
  req: Req,
  res: Res,
): boolean {
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  const pathname = (req.url ?? "").split("?")[0] ?? "";
  const asset = ASSETS[pathname];
  if (!asset && !APP_ROUTES.has(pathname)) return false;
  const publicOrigin = new URL(config.publicUrl).origin;
  const localOrigins = config.localAppOrigins.join(" ");
  let body: Buffer;
  try {
    body = asset
      ? read(asset.file, () => fs.readFileSync(asset.file))
      : // Kept per origin: servers with different public URLs may run in one process (the tests).
        read(`${HTML_FILE} ${publicOrigin} ${localOrigins}`, () =>
          Buffer.from(
            fs
              .readFileSync(HTML_FILE, "utf8")
              .replace("%PUBLIC_ORIGIN%", escapeAttribute(publicOrigin))
              .replace("%LOCAL_ORIGINS%", escapeAttribute(localOrigins)),
          ),
        );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    res.statusCode = 404;
    res.setHeader("Content-Type", "text/plain; charset=utf-8");
    res.end("The account app is not built: run `npm run build:web`.\n");
    return true;
  }
  res.statusCode = 200;
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
  res.setHeader("Content-Type", asset?.type ?? "text/html; charset=utf-8");
  if (req.method === "HEAD") res.end();
  else res.end(body);
  return true;
}
