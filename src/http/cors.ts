// CORS for browsers calling over gRPC-Web or Connect. An origin listed in AUTHD_CORS_ORIGINS is
// reflected with credentials (cookies); `*` lets any other origin call without credentials only
// (Access-Control-Allow-Origin: *), so no site can ride a user's session cookie.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { cors } from "@connectrpc/connect";

// What gRPC-Web and Connect need come from @connectrpc/connect, which keeps them in step with its
// protocols; the rest are authd's own: its credentials (Authorization, X-Api-Key; the session
// cookie needs Allow-Credentials, below), the request id a client may send to name its request in
// authd's log (exposed too, for a proxy in front that sets it), and the Retry-After of a
// rate-limited answer.
const ALLOWED_HEADERS = [...cors.allowedHeaders, "Authorization", "X-Api-Key", "X-Request-Id"].join(", ");
const EXPOSED_HEADERS = [...cors.exposedHeaders, "Retry-After", "X-Request-Id"].join(", ");
const ALLOWED_METHODS = cors.allowedMethods.join(", ");

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;

/** Adds CORS headers; answers preflight requests itself and returns true when it did. */
export function applyCors(allowedOrigins: string[], req: Req, res: Res): boolean {
  const origin = req.headers.origin;
  const listed = typeof origin === "string" && allowedOrigins.includes(origin);
  const anyOrigin = typeof origin === "string" && !listed && allowedOrigins.includes("*");
  const allowed = listed || anyOrigin;
  if (listed) {
    res.setHeader("Access-Control-Allow-Origin", origin);
    res.setHeader("Access-Control-Allow-Credentials", "true");
  } else if (anyOrigin) {
    res.setHeader("Access-Control-Allow-Origin", "*");
  }
  if (allowed) res.setHeader("Access-Control-Expose-Headers", EXPOSED_HEADERS);
  // The answer depends on the Origin whenever specific origins are configured.
  if (allowedOrigins.length > 0) res.setHeader("Vary", "Origin");
  if (req.method !== "OPTIONS" || typeof req.headers["access-control-request-method"] !== "string")
    return false;
  if (allowed) {
    res.setHeader("Access-Control-Allow-Methods", ALLOWED_METHODS);
    res.setHeader("Access-Control-Allow-Headers", ALLOWED_HEADERS);
    res.setHeader("Access-Control-Max-Age", "7200");
  }
  res.statusCode = allowed ? 204 : 403;
  res.end();
  return true;
}
