// One port, every protocol: gRPC (HTTP/2), gRPC-Web and Connect (HTTP/1.1 or HTTP/2), next to the
// plain HTTP routes. Node 20's cleartext HTTP/2 server cannot also speak HTTP/1.1 (allowHTTP1 is
// TLS-only there), so one TCP listener looks at the first bytes of each connection: the HTTP/2
// preface goes to an http2 server, anything else to an http server. Both run the same handler.
import http from "node:http";
import http2 from "node:http2";
import type { Socket } from "node:net";
import { createContextValues } from "@connectrpc/connect";
import type { App } from "./app.js";
import { type BoundPort, bindPort } from "./bound-port.js";
import { requestInfoKey } from "./context.js";
import { applyCors } from "./http/cors.js";
import { readRequestInfo } from "./http/request-info.js";
import { serveHttpRoute } from "./http/routes.js";
import { createRpcHandler } from "./http/rpc-handler.js";
import { answerUnknownRoute } from "./http/unknown-route.js";
import { authenticationInterceptor } from "./interceptors/authentication.js";
import { errorInterceptor } from "./interceptors/errors.js";
import { loggingInterceptor } from "./interceptors/logging.js";
import { serveMetricsRoute, startMetricsListener } from "./metrics-http.js";
import { createRoutes } from "./routes.js";

export interface RunningServer {
  port: number;
  url: string;
  /** The separate metrics listener's URL, when AUTHD_METRICS_ADDR is set. */
  metricsUrl?: string;
  /** Stops accepting connections, lets in-flight requests finish, then closes the app. */
  close(): Promise<void>;
}

export function createHandler(app: App) {
  const rpc = createRpcHandler({
    routes: createRoutes(app),
    interceptors: [
      // Outermost, so the counts see the code the client gets.
      app.metrics.interceptor(),
      loggingInterceptor(app.logger),
      errorInterceptor(app.logger),
      authenticationInterceptor({ config: app.config, credentials: app.credentials }),
    ],
    contextValues: (req) =>
      createContextValues().set(requestInfoKey, readRequestInfo(req, app.config.trustedProxies)),
    fallback: answerUnknownRoute,
    // Bodies larger than this are refused (resource_exhausted) before they are parsed.
    readMaxBytes: app.config.maxMessageBytes,
    onDecodeFailure: (procedure, values) => {
      const info = values?.get(requestInfoKey);
      // The interceptors never ran for this request, so its log line is written here.
      app.logger.info(
        { requestId: info?.requestId, procedure, ip: info?.ip, rpcCode: "invalid_argument" },
        "rpc",
      );
    },
    onWriteFailure: (procedure, error) =>
      app.logger.warn(
        { procedure, err: error instanceof Error ? error.message : String(error) },
        "rpc write failed",
      ),
  });
  const failed = (res: http.ServerResponse | http2.Http2ServerResponse, error: unknown) => {
    app.logger.error({ err: error instanceof Error ? error.message : String(error) }, "http route failed");
    if (!res.headersSent) res.statusCode = 500;
    res.end();
  };
  const serveGet = async (
    req: http.IncomingMessage | http2.Http2ServerRequest,
    res: http.ServerResponse | http2.Http2ServerResponse,
  ) => {
    try {
      if (await serveMetricsRoute(app.metrics, app.config.metricsToken, req, res)) return;
      if (await serveHttpRoute(app, req, res)) return;
      rpc(req, res);
    } catch (error) {
      failed(res, error);
    }
  };
  return (
    req: http.IncomingMessage | http2.Http2ServerRequest,
    res: http.ServerResponse | http2.Http2ServerResponse,
  ): void => {
    try {
      if (applyCors(app.config.corsOrigins, req, res)) return;
      // The plain routes (metrics, health, keys, the web page) answer only GET and HEAD; an RPC (a
      // POST) goes straight to the RPC handler, with no promise and no await on its way.
      if (req.method === "GET" || req.method === "HEAD") void serveGet(req, res);
      else rpc(req, res);
    } catch (error) {
      failed(res, error);
    }
  };
}

/** Serves the app on `port` (a number, or a port bound before the app was built: bound-port.ts). */
export async function startServer(app: App, host: string, port: number | BoundPort): Promise<RunningServer> {
  const bound = typeof port === "number" ? await bindPort(host, port) : port;
  const handler = createHandler(app);
  const sessions = new Set<http2.Http2Session>();
  // HTTP/1.1 sockets and how many requests each is serving, so shutdown can close idle keep-alive
  // sockets at once and busy ones right after their response.
  const busy = new Map<Socket, number>();
  let closing: Promise<void> | undefined;
  const limits = app.config;
  const h1 = http.createServer(
    {
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // Node checks the two timeouts above only this often (30 s by default).
      connectionsCheckingInterval: Math.min(1000, Math.ceil(limits.headersTimeoutMs / 2)),
    },
    (req, res) => {
      const socket = req.socket;
      busy.set(socket, (busy.get(socket) ?? 0) + 1);
      res.on("close", () => {
        const left = (busy.get(socket) ?? 1) - 1;
        busy.set(socket, left);
        if (closing && left === 0) socket.end();
      });
      void handler(req, res);
    },
  );
  h1.timeout = limits.idleTimeoutMs;
  const h2 = http2.createServer(
    {
      // Advertised to clients (nghttp2 does not enforce it on what it receives: see below).
      settings: { maxHeaderListSize: limits.maxHeaderBytes, maxConcurrentStreams: 100 },
    },
    (req, res) => {
      // nghttp2 only advertises maxHeaderListSize; it is enforced here, counted as RFC 7541 does.
      if (headerListSize(req.rawHeaders) > limits.maxHeaderBytes) {
        res.statusCode = 431;
        res.end();
        return;
      }
      // HTTP/2 has no per-request timeouts of its own: cut off a stream whose request is still
      // arriving when the request timeout is up (a slow client holding a stream open).
      const cutOff = setTimeout(() => {
        if (!req.complete) req.stream.close(http2.constants.NGHTTP2_CANCEL);
      }, limits.requestTimeoutMs);
      cutOff.unref();
      res.on("close", () => clearTimeout(cutOff));
      // Answered before the whole request arrived (a message over the size limit, say): the
      // client may be stuck on flow control, still sending, and such streams would pile up to the
      // session's stream limit (then Node ends the whole session). A second after the trailers
      // went out, reset the stream: well-behaved clients have stopped sending by then.
      req.stream.on("wantTrailers", () => {
        if (req.complete) return;
        const reset = setTimeout(() => {
          if (!req.complete && !req.stream.closed) req.stream.close(http2.constants.NGHTTP2_CANCEL);
        }, 1000);
        reset.unref();
        req.stream.once("close", () => clearTimeout(reset));
      });
      void handler(req, res);
    },
  );
  // A session with no traffic for this long is closed (Node destroys it on 'timeout').
  h2.setTimeout(limits.idleTimeoutMs);
  h2.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  const sockets = new Set<Socket>();
  const { server } = bound;
  bound.take((socket) => {
    sockets.add(socket);
    socket.on("close", () => {
      sockets.delete(socket);
      busy.delete(socket);
    });
    routeByPreface(socket, h1, h2, limits.headersTimeoutMs);
  });
  // h1 never listens itself (connections are handed to it), but Node starts the timer that enforces
  // headersTimeout and requestTimeout, and tracks connections for it, on 'listening'.
  h1.emit("listening");
  const actualPort = bound.port;
  const metricsListener = app.config.metricsAddr
    ? await startMetricsListener(app.metrics, app.config.metricsAddr, (err) =>
        app.logger.error({ err: err instanceof Error ? err.message : String(err) }, "metrics scrape failed"),
      ).catch((error: unknown) => {
        server.close();
        throw error;
      })
    : undefined;
  return {
    port: actualPort,
    url: `http://${host.includes(":") ? `[${host}]` : host}:${actualPort}`,
    metricsUrl: metricsListener?.url,
    close() {
      closing ??= (async () => {
        await metricsListener?.close();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // Stops h1's timeout timer (it was never listening, so the callback's error is expected).
        h1.close(() => undefined);
        // HTTP/2: GOAWAY lets streams in flight finish and refuses new ones.
        for (const session of sessions) session.close();
        for (const [socket, count] of busy) if (count === 0) socket.end();
        const forceAfter = setTimeout(() => {
          for (const socket of sockets) socket.destroy();
        }, 10_000);
        forceAfter.unref();
        await closed;
        clearTimeout(forceAfter);
        await app.close();
      })();
      return closing;
    },
  };
}

/** The size of a header list as HTTP/2 counts it: name and value octets plus 32 per field. */
function headerListSize(rawHeaders: string[]): number {
  let size = 0;
  for (const field of rawHeaders) size += Buffer.byteLength(field) + 16;
  return size;
}

const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** Reads enough of a new connection to tell HTTP/2 prior knowledge from HTTP/1.x, then hands it on. */
function routeByPreface(
  socket: Socket,
  h1: http.Server,
  h2: http2.Http2Server,
  firstBytesTimeoutMs: number,
): void {
  let head = Buffer.alloc(0);
  // A connection that never sends its first bytes would otherwise be held open forever: neither
  // server has seen it yet, so neither one's timeouts apply.
  const silent = setTimeout(() => socket.destroy(), firstBytesTimeoutMs);
  silent.unref();
  socket.once("close", () => clearTimeout(silent));
  const onData = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk]);
    const n = Math.min(head.length, HTTP2_PREFACE.length);
    const isHttp2 = head.subarray(0, n).equals(HTTP2_PREFACE.subarray(0, n));
    if (isHttp2 && head.length < HTTP2_PREFACE.length) return; // need more bytes to be sure
    socket.off("data", onData);
    clearTimeout(silent);
    socket.pause();
    socket.unshift(head);
    // The HTTP/2 session reads the socket natively (and takes the buffered bytes itself); only the
    // HTTP/1 parser needs the stream flowing again.
    if (isHttp2) {
      h2.emit("connection", socket);
    } else {
      h1.emit("connection", socket);
      socket.resume();
    }
  };
  socket.on("data", onData);
  socket.on("error", () => socket.destroy());
}
