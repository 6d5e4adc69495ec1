// One structured line per RPC: procedure, outcome and duration. Never the request or response
// bodies, which carry passwords and tokens. The outcome is `rpcCode`, not `code`: the logger blanks
// every field named `code` (emailed one-time codes travel under that name).
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { requestInfoKey } from "../context.js";
import { type Logger, withoutRedaction } from "../logger.js";

export function loggingInterceptor(redactingLogger: Logger): Interceptor {
  // Safe without redaction: this line's fields are built here and none carries a secret (see
  // withoutRedaction). Never add a request or response field to it.
  const logger = withoutRedaction(redactingLogger);
  return (next) => async (req) => {
    const started = performance.now();
    const info = req.contextValues.get(requestInfoKey);
    const fields = {
      requestId: info.requestId,
      procedure: `${req.service.typeName}/${req.method.name}`,
      ip: info.ip,
    };
    try {
      const res = await next(req);
      logger.info({ ...fields, rpcCode: "ok", ms: Math.round(performance.now() - started) }, "rpc");
      return res;
    } catch (error) {
      const rpcCode = ConnectError.from(error).code;
      logger.info(
        { ...fields, rpcCode: codeName(rpcCode), ms: Math.round(performance.now() - started) },
        "rpc",
      );
      throw error;
    }
  };
}

/** The Connect name of a code ("invalid_argument"), as clients and the Connect protocol spell it. */
function codeName(code: Code): string {
  return Code[code].replace(/[A-Z]/g, (c, i: number) => (i === 0 ? c.toLowerCase() : `_${c.toLowerCase()}`));
}
