// One structured line per RPC: procedure, outcome and duration. Never the request or response
// bodies, which carry passwords and tokens.
import { ConnectError, type Interceptor } from "@connectrpc/connect";
import { requestInfoKey } from "../context.js";
import type { Logger } from "../logger.js";

export function loggingInterceptor(logger: Logger): Interceptor {
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
      logger.info({ ...fields, code: "ok", ms: Math.round(performance.now() - started) }, "rpc");
      return res;
    } catch (error) {
      const code = error instanceof ConnectError ? error.code : "unknown";
      logger.info({ ...fields, code, ms: Math.round(performance.now() - started) }, "rpc");
      throw error;
    }
  };
}
