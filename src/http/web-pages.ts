// The small web pages behind the links in authd's emails (web/). They receive single-use tokens in
// their URL, so they are served with a strict Content-Security-Policy, no caching, and a Referrer
// Policy that never sends the URL elsewhere.
import fs from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import path from "node:path";
import { packageRoot } from "../package-root.js";

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;

const WEB_DIR = path.join(packageRoot, "web");

/** Paths of the emailed links; each serves the same page, which picks its form by path. */
const LINK_PAGES = new Set([
  "/verify-email",
  "/reset-password",
  "/confirm-deactivation",
  "/confirm-deletion",
]);

const ASSETS: Record<string, { file: string; type: string }> = {
  "/web/account.js": { file: "account.js", type: "text/javascript; charset=utf-8" },
  "/web/style.css": { file: "style.css", type: "text/css; charset=utf-8" },
};

const SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'",
  "Referrer-Policy": "strict-origin",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Cache-Control": "no-store",
};

const cache = new Map<string, Buffer>();

function read(file: string): Buffer {
  let body = cache.get(file);
  if (!body) {
    body = fs.readFileSync(path.join(WEB_DIR, file));
    cache.set(file, body);
  }
  return body;
}

/** Answers the request if it is for a web page or asset; returns false otherwise. */
export function serveWebPage(req: Req, res: Res): boolean {
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  const pathname = (req.url ?? "").split("?")[0] ?? "";
  const asset = ASSETS[pathname];
  const file = LINK_PAGES.has(pathname) ? "account.html" : asset?.file;
  if (!file) return false;
  res.statusCode = 200;
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
  res.setHeader("Content-Type", asset?.type ?? "text/html; charset=utf-8");
  if (req.method === "HEAD") res.end();
  else res.end(read(file));
  return true;
}
