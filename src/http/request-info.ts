import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { RequestInfo } from "../context.js";
import { clientAddress, rateLimitKeyFor } from "./client-address.js";

interface NodeRequestLike {
  headers: IncomingHttpHeaders;
  socket: { remoteAddress?: string | undefined };
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {};
  if (!header) return cookies;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    try {
      cookies[name] = decodeURIComponent(value);
    } catch {
      cookies[name] = value;
    }
  }
  return cookies;
}

/**
 * Reads client metadata off a request. X-Forwarded-For counts only for the configured number of
 * trusted proxies (AUTHD_TRUSTED_PROXIES); otherwise any client could pick its own rate-limit key.
 */
export function readRequestInfo(req: NodeRequestLike, trustedProxies: number): RequestInfo {
  const header = (name: string) => {
    const value = req.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const ip = clientAddress(req.socket.remoteAddress, req.headers["x-forwarded-for"], trustedProxies);
  const suppliedId = header("x-request-id");
  const requestId = suppliedId && /^[\w.-]{1,64}$/.test(suppliedId) ? suppliedId : randomUUID();
  return {
    requestId,
    ip,
    rateLimitKey: rateLimitKeyFor(ip),
    userAgent: (header("user-agent") ?? "").slice(0, 512),
    cookies: parseCookies(header("cookie")),
  };
}
