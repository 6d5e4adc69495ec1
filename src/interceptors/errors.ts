// The one place where failures become Connect errors. A client's mistake (DomainError) keeps its
// code and message; anything else is a bug: it is logged with the request id and answered Internal
// with no detail, so no stack trace or internal state reaches a client.
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { requestInfoKey } from "../context.js";
import { DomainError, type ErrorKind } from "../domain/errors.js";
import type { Logger } from "../logger.js";

const codes: Record<ErrorKind, Code> = {
  invalid_argument: Code.InvalidArgument,
  unauthenticated: Code.Unauthenticated,
  permission_denied: Code.PermissionDenied,
  not_found: Code.NotFound,
  already_exists: Code.AlreadyExists,
  failed_precondition: Code.FailedPrecondition,
  resource_exhausted: Code.ResourceExhausted,
  unavailable: Code.Unavailable,
  unimplemented: Code.Unimplemented,
};

export function toConnectError(
  error: unknown,
  logger: Logger,
  requestId: string,
  procedure: string,
): ConnectError {
  if (error instanceof DomainError) {
    const connectError = new ConnectError(error.message, codes[error.kind], undefined, undefined, error);
    if (error.retryAfterSeconds !== undefined) {
      connectError.metadata.set("retry-after", String(error.retryAfterSeconds));
    }
    return connectError;
  }
  if (error instanceof ConnectError) return error;
  // Log the error's class, message and stack only: error objects from drivers may hold query
  // parameters, which can include token hashes, so the object itself is never logged.
  const err = error instanceof Error ? error : new Error(String(error));
  logger.error(
    { requestId, procedure, err: { type: err.name, message: err.message, stack: err.stack } },
    "unexpected error",
  );
  return new ConnectError(`internal error (request id ${requestId})`, Code.Internal);
}

export function errorInterceptor(logger: Logger): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (error) {
      const { requestId } = req.contextValues.get(requestInfoKey);
      throw toConnectError(error, logger, requestId, req.method.name);
    }
  };
}
