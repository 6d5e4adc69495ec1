// The Node request handler for every RPC: connect-node's adapter, spelled out so that each
// procedure's handler can be wrapped (a request that does not decode answers invalid_argument).
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
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import {
  compressionBrotli,
  compressionGzip,
  universalRequestFromNodeRequest,
  universalResponseToNodeResponse,
} from "@connectrpc/connect-node";
import { answerDecodeFailuresAsInvalidArgument } from "./decode-errors.js";

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
    const uReq = universalRequestFromNodeRequest(req, res, undefined, options.contextValues(req));
    handler(uReq)
      .then((uRes) => universalResponseToNodeResponse(uRes, res))
      .catch((reason: unknown) => {
        if (ConnectError.from(reason).code === Code.Aborted) return;
        options.onWriteFailure(`${handler.service.typeName}/${handler.method.name}`, reason);
      });
  };
}
