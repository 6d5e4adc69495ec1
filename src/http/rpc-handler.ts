// The Node request handler for every RPC: connect-node's adapter, spelled out so that each
// procedure's handler can be wrapped (a request that does not decode answers invalid_argument) and
// so that the request body is read here, not by connect-node (see readBody). Every RPC of authd's
// own has one request message, so reading the whole body first changes nothing for its handler;
// the one bidirectional stream (server reflection) reads its requests as they arrive.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  type ContextValues,
  createConnectRouter,
  type Interceptor,
} from "@connectrpc/connect";
import { createAsyncIterable, type UniversalHandler } from "@connectrpc/connect/protocol";
import {
  compressionBrotli,
  compressionGzip,
  universalResponseToNodeResponse,
} from "@connectrpc/connect-node";
import { answerDecodeFailuresAsInvalidArgument } from "./decode-errors.js";
import { universalRequest } from "./universal-request.js";

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;

export interface RpcHandlerOptions {
  routes: (router: ConnectRouter) => void;
  interceptors: Interceptor[];
  contextValues: (req: Req) => ContextValues;
  /** Answers requests for paths that are no RPC. */
  fallback: (req: Req, res: Res) => void;
  /** Largest request message accepted, in bytes (after decompression); larger ones answer resource_exhausted. */
  readMaxBytes: number;
  /** Told about each request that did not decode, with its procedure and context values. */
  onDecodeFailure: (procedure: string, contextValues: ContextValues | undefined, message: string) => void;
  /** Told about failures to write a response (the client went away, mostly). */
  onWriteFailure: (procedure: string, error: unknown) => void;
}

export function createRpcHandler(options: RpcHandlerOptions): (req: Req, res: Res) => void {
  const router = createConnectRouter({
    interceptors: options.interceptors,
    readMaxBytes: options.readMaxBytes,
    acceptCompression: [compressionGzip, compressionBrotli],
  });
  options.routes(router);
  const handlers = new Map<string, UniversalHandler>();
  for (const handler of router.handlers) {
    const procedure = `${handler.service.typeName}/${handler.method.name}`;
    const wrapped = answerDecodeFailuresAsInvalidArgument(handler, (uReq, message) =>
      options.onDecodeFailure(procedure, uReq.contextValues, message),
    );
    handlers.set(handler.requestPath, wrapped);
  }

  return (req, res) => {
    const handler = handlers.get((req.url ?? "").split("?", 2)[0] ?? "");
    if (!handler) {
      options.fallback(req, res);
      return;
    }
    // Built before the body is read, so a client that goes away meanwhile aborts the signal.
    const uReq = universalRequest(req, res, options.contextValues(req));
    // A reflection client waits for each answer before it asks again, so a stream's body ends only
    // when the client is done: connect reads it frame by frame (readMaxBytes applies to each).
    const answered = streamsRequests(handler)
      ? handler({ ...uReq, body: req as AsyncIterable<Uint8Array> })
      : // Up to twice the largest message (frames and compression may add to it): enough for any
        // request connect-node would accept, and connect-node answers anything this long itself.
        readBody(req, options.readMaxBytes * 2 + 1024).then(({ bytes }) =>
          handler({ ...uReq, body: createAsyncIterable([bytes]) }),
        );
    answered
      .then((uRes) => universalResponseToNodeResponse(uRes, res))
      .catch((reason: unknown) => {
        if (ConnectError.from(reason).code === Code.Aborted) return;
        options.onWriteFailure(`${handler.service.typeName}/${handler.method.name}`, reason);
      });
  };
}

function streamsRequests(handler: UniversalHandler): boolean {
  const kind = handler.method.methodKind;
  return kind === "client_streaming" || kind === "bidi_streaming";
}

/**
 * Reads a request body, keeping at most `cap` bytes. connect-node would read the Node request
 * itself, but when it stops early (a message over the size limit, a frame that does not parse) it
 * destroys the request and with it the connection: an HTTP/1.1 client that had already reused the
 * keep-alive connection for its next request then sees ECONNRESET. Past the cap, the answer comes
 * at once and the rest is read and dropped (the request timeout bounds how long), so neither an
 * HTTP/1.1 connection nor an HTTP/2 session is broken by one over-long request.
 */
function readBody(req: Req, cap: number): Promise<{ bytes: Uint8Array; complete: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let answered = false;
    const answer = (complete: boolean) => {
      if (answered) return;
      answered = true;
      resolve({ bytes: Buffer.concat(chunks), complete });
    };
    const onData = (chunk: Buffer) => {
      if (answered) return; // past the cap: dropped
      chunks.push(chunk);
      size += chunk.byteLength;
      if (size > cap) answer(false);
    };
    const onEnd = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onEnd);
      req.off("close", onEnd);
      answer(req.complete);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onEnd);
    req.on("close", onEnd);
  });
}
