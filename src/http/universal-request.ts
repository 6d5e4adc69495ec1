// connect-node's universal request (what a Connect handler reads), built here rather than with
// connect-node's universalRequestFromNodeRequest for one reason: that one aborts the request's
// signal whenever the stream or response closes, also after a complete response, and an abort
// without a reason creates a DOMException, stack trace included, for every request (about 3 % of
// the CPU time of Health/Check). Once the response is written nothing listens to that signal any
// more (the handler has returned and connect has unlinked its context from it), so here it is
// aborted only when the request goes away before its response ended: cancellation reaches a
// running handler exactly as before.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { Code, ConnectError, type ContextValues } from "@connectrpc/connect";
import type { UniversalServerRequest } from "@connectrpc/connect/protocol";

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;

/** The request as connect-node would build it, but for its body (the caller reads that). */
export function universalRequest(
  req: Req,
  res: Res,
  contextValues: ContextValues,
): Omit<UniversalServerRequest, "body"> {
  const authority = "authority" in req ? req.authority : req.headers.host;
  if (authority === undefined) {
    throw new ConnectError(
      "unable to determine request authority from Node.js server request",
      Code.Internal,
    );
  }
  const encrypted = "encrypted" in req.socket && req.socket.encrypted;
  return {
    httpVersion: req.httpVersion,
    method: req.method ?? "",
    url: new URL(req.url ?? "", `${encrypted ? "https" : "http"}://${authority}`).toString(),
    header: webHeaders(req.headers),
    signal: abortedWhenGoneEarly(req, res),
    contextValues,
  };
}

/**
 * A signal aborted when the client goes away (an HTTP/2 stream reset or closed, an HTTP/1.1
 * connection closed or failing) before the response ended. The reason says why, as a ConnectError
 * (authd's handlers do not read it; connect passes the signal on as the handler context's).
 */
function abortedWhenGoneEarly(req: Req, res: Res): AbortSignal {
  const controller = new AbortController();
  const gone = (why: string, code: Code, cause?: unknown) => {
    if (res.writableEnded || controller.signal.aborted) return;
    controller.abort(new ConnectError(`the client went away: ${why}`, code, undefined, undefined, cause));
  };
  if ("stream" in req) {
    req.once("close", () => {
      const rstCode = req.stream.rstCode;
      gone(`http/2 stream closed with code ${rstCode ?? 0}`, Code.Canceled);
    });
  } else {
    // As connect-node does: the response's close (the request's comes as soon as its body is read),
    // and the request's errors (ECONNRESET), which also keeps an error from going unhandled.
    const onError = (error: Error) => {
      req.off("error", onError);
      res.off("close", onClose);
      gone(error.message, Code.Aborted, error);
    };
    const onClose = () => {
      req.off("error", onError);
      res.off("close", onClose);
      gone("connection closed", Code.Aborted, req.errored ?? undefined);
    };
    req.once("error", onError);
    res.once("close", onClose);
  }
  return controller.signal;
}

/** Node's header object as fetch Headers, HTTP/2 pseudo-headers left out. */
function webHeaders(nodeHeaders: Req["headers"]): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(nodeHeaders)) {
    if (name.startsWith(":") || value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.append(name, String(value));
  }
  return headers;
}
