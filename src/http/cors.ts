// CORS for browsers calling over gRPC-Web or Connect. An origin listed in AUTHD_CORS_ORIGINS is
// reflected with credentials (cookies); `*` lets any other origin call without credentials only
// (Access-Control-Allow-Origin: *), so no site can ride a user's session cookie.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";

const ALLOWED_HEADERS = [
  "Content-Type",
  "Connect-Protocol-Version",
  "Connect-Timeout-Ms",
  "Connect-Accept-Encoding",
  "Connect-Content-Encoding",
  "Grpc-Timeout",
  "Grpc-Accept-Encoding",
  "X-Grpc-Web",
  "X-User-Agent",
  "Authorization",
  "X-Api-Key",
  "X-Request-Id",
].join(", ");

const EXPOSED_HEADERS = [
  "Grpc-Status",
  "Grpc-Message",
  "Grpc-Status-Details-Bin",
  "Content-Encoding",
  "Connect-Content-Encoding",
  "Retry-After",
  "X-Request-Id",
].join(", ");

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
    res.setHeader("Access-Control-Allow-Methods", "POST, GET, OPTIONS");
    res.setHeader("Access-Control-Allow-Headers", ALLOWED_HEADERS);
    res.setHeader("Access-Control-Max-Age", "7200");
  }
  res.statusCode = allowed ? 204 : 403;
  res.end();
  return true;
}
