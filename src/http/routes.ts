// Plain HTTP routes served beside the RPCs on the same port.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { App } from "../app.js";
import { serveWebApp } from "./web-app.js";

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;

function sendJson(res: Res, status: number, body: unknown, cacheSeconds = 0): void {
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json");
  res.setHeader("Cache-Control", cacheSeconds > 0 ? `public, max-age=${cacheSeconds}` : "no-store");
  res.end(JSON.stringify(body));
}

/**
 * Answers the request if it is one of the plain HTTP routes; returns false otherwise. They read only
 * the configuration, the health probe and the public keys.
 */
export async function serveHttpRoute(
  app: Pick<App, "config" | "isHealthy" | "jwks">,
  req: Req,
  res: Res,
): Promise<boolean> {
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  if (serveWebApp(app.config, req, res)) return true;
  const path = (req.url ?? "").split("?")[0];
  switch (path) {
    case "/healthz": {
      const healthy = await app.isHealthy();
      sendJson(res, healthy ? 200 : 503, { status: healthy ? "ok" : "unavailable" });
      return true;
    }
    case "/.well-known/jwks.json":
      // Short cache: after a key rotation, verifiers must see the new key within minutes.
      sendJson(res, 200, await app.jwks(), 300);
      return true;
    case "/.well-known/openid-configuration":
      sendJson(
        res,
        200,
        {
          issuer: app.config.issuer,
          jwks_uri: `${app.config.publicUrl.replace(/\/$/, "")}/.well-known/jwks.json`,
          id_token_signing_alg_values_supported: ["EdDSA"],
        },
        300,
      );
      return true;
    default:
      return false;
  }
}
