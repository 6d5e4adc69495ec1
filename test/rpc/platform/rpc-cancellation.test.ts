// A client that goes away while its RPC runs aborts the handler's signal (src/http/universal-request.ts
// builds that signal itself, aborting it only before the response ended). Tested through authd's RPC
// handler on real HTTP/2 and HTTP/1.1 servers, with a handler that waits for the abort.
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { Code, ConnectError, createContextValues } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus } from "../../../gen/grpc/health/v1/health_pb.js";
import { createRpcHandler } from "../../../src/http/rpc-handler.js";

const CHECK_PATH = "/grpc.health.v1.Health/Check";

/** Health/Check that waits for its signal's abort, then tells onAbort the reason. */
function waitingHandler(onAbort: (reason: unknown) => void) {
  return createRpcHandler({
    routes: (router) =>
      router.service(Health, {
        check: (_req, ctx) =>
          new Promise((resolve) => {
            ctx.signal.addEventListener("abort", () => {
              onAbort(ctx.signal.reason);
              resolve({ status: HealthCheckResponse_ServingStatus.NOT_SERVING });
            });
          }),
      }),
    interceptors: [],
    contextValues: () => createContextValues(),
    fallback: (_req, res) => {
      res.statusCode = 404;
      res.end();
    },
    readMaxBytes: 1024,
    onDecodeFailure: () => undefined,
    onWriteFailure: () => undefined,
  });
}

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

function listen(server: http.Server | http2.Http2Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

const jsonHeaders = { "content-type": "application/json", "connect-protocol-version": "1" };

describe("a client going away", () => {
  it("aborts the running handler's signal when it resets its HTTP/2 stream", async () => {
    let aborted: (reason: unknown) => void = () => undefined;
    const reason = new Promise<unknown>((resolve) => {
      aborted = resolve;
    });
    const server = http2.createServer(waitingHandler((r) => aborted(r)));
    const port = await listen(server);
    const client = http2.connect(`http://127.0.0.1:${port}`);
    closers.push(() => {
      client.destroy();
      server.close();
    });
    const stream = client.request({ ":method": "POST", ":path": CHECK_PATH, ...jsonHeaders });
    stream.on("error", () => undefined);
    stream.end(JSON.stringify({ service: "slow" }));
    // Reset once the server has had the request long enough to start the handler.
    await new Promise((resolve) => setTimeout(resolve, 100));
    stream.close(http2.constants.NGHTTP2_CANCEL);
    const why = ConnectError.from(await reason);
    expect(why.code).toBe(Code.Canceled);
  });

  it("aborts the running handler's signal when its HTTP/1.1 connection closes", async () => {
    let aborted: (reason: unknown) => void = () => undefined;
    const reason = new Promise<unknown>((resolve) => {
      aborted = resolve;
    });
    const server = http.createServer(waitingHandler((r) => aborted(r)));
    const port = await listen(server);
    closers.push(() => server.close());
    const req = http.request({
      port,
      host: "127.0.0.1",
      method: "POST",
      path: CHECK_PATH,
      headers: jsonHeaders,
    });
    req.on("error", () => undefined);
    req.end(JSON.stringify({ service: "slow" }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    req.destroy();
    const why = ConnectError.from(await reason);
    expect(why.code).toBe(Code.Aborted);
  });
});
