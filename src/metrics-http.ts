// Where /metrics is answered. Metrics tell an outsider a lot (traffic, failed sign-ins, queue depth),
// so they are off unless configured: on a listener of their own (AUTHD_METRICS_ADDR, meant for a
// private interface) and/or on the main port behind a bearer token of their own (AUTHD_METRICS_TOKEN).
import { createHash, timingSafeEqual } from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { AddressInfo } from "node:net";
import type { HostPort } from "./config-parsers.js";
import type { Metrics } from "./metrics.js";

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;

const PATH = "/metrics";

function isMetricsRequest(req: Req): boolean {
  return (req.method === "GET" || req.method === "HEAD") && (req.url ?? "").split("?")[0] === PATH;
}

async function sendMetrics(metrics: Metrics, req: Req, res: Res): Promise<void> {
  const { contentType, body } = await metrics.scrape();
  res.statusCode = 200;
  res.setHeader("Content-Type", contentType);
  res.setHeader("Cache-Control", "no-store");
  if (req.method === "HEAD") res.end();
  else res.end(body);
}

/** Compares the two as SHA-256 digests: constant time, whatever their lengths. */
function sameSecret(presented: string, expected: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

/**
 * On the main port: answers /metrics when AUTHD_METRICS_TOKEN is set and the request carries it as
 * `Authorization: Bearer <token>`; anything else for /metrics gets 401. Answers false for other paths,
 * and for every path when no token is configured (then /metrics is unknown on the main port).
 */
export async function serveMetricsRoute(
  metrics: Metrics,
  token: string | undefined,
  req: Req,
  res: Res,
): Promise<boolean> {
  if (token === undefined || !isMetricsRequest(req)) return false;
  const header = req.headers.authorization ?? "";
  const presented = /^Bearer (.+)$/i.exec(header)?.[1] ?? "";
  if (!sameSecret(presented, token)) {
    res.statusCode = 401;
    res.setHeader("WWW-Authenticate", 'Bearer realm="authd metrics"');
    res.setHeader("Content-Type", "text/plain; charset=utf-8");
    res.end("a valid metrics token is required\n");
    return true;
  }
  await sendMetrics(metrics, req, res);
  return true;
}

export interface MetricsListener {
  url: string;
  close(): Promise<void>;
}

/** A plain HTTP listener that answers /metrics and 404 for everything else. */
export async function startMetricsListener(
  metrics: Metrics,
  address: HostPort,
  onError: (err: unknown) => void,
): Promise<MetricsListener> {
  const server = http.createServer((req, res) => {
    if (!isMetricsRequest(req)) {
      res.statusCode = 404;
      res.end();
      return;
    }
    sendMetrics(metrics, req, res).catch((err: unknown) => {
      onError(err);
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(address.port, address.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = address.host.includes(":") ? `[${address.host}]` : address.host;
  return {
    url: `http://${host}:${port}${PATH}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
