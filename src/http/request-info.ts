import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { RequestInfo } from "../context.js";

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
 * Reads client metadata off a request. X-Forwarded-For is honoured only when the operator says a
 * proxy sits in front (AUTHD_TRUST_PROXY); otherwise any client could pick its own rate-limit key.
 */
export function readRequestInfo(req: NodeRequestLike, trustProxy: boolean): RequestInfo {
  const header = (name: string) => {
    const value = req.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  let ip = req.socket.remoteAddress ?? "";
  if (trustProxy) {
    const forwarded = header("x-forwarded-for")?.split(",")[0]?.trim();
    if (forwarded) ip = forwarded;
  }
  const suppliedId = header("x-request-id");
  const requestId = suppliedId && /^[\w.-]{1,64}$/.test(suppliedId) ? suppliedId : randomUUID();
  return {
    requestId,
    ip: ip.replace(/^::ffff:/, ""),
    userAgent: (header("user-agent") ?? "").slice(0, 512),
    cookies: parseCookies(header("cookie")),
  };
}
