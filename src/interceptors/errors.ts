// The one place where failures become Connect errors. A client's mistake (DomainError) keeps its
// code and message, and its reason as an ErrorInfo detail; anything else is a bug: it is logged
// with the request id and answered Internal with no detail, so no stack trace or internal state
// reaches a client.
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { ErrorInfoSchema, ErrorReason } from "../../gen/authd/v1/common_pb.js";
import { requestInfoKey } from "../context.js";
import { DomainError, type ErrorReason as DomainErrorReason, type ErrorKind } from "../domain/errors.js";
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

// Spelled out rather than looked up by name, so that a reason missing from the contract fails to
// compile.
const reasons: Record<DomainErrorReason, ErrorReason> = {
  INVALID_CREDENTIALS: ErrorReason.INVALID_CREDENTIALS,
  EMAIL_NOT_VERIFIED: ErrorReason.EMAIL_NOT_VERIFIED,
  ACCOUNT_DEACTIVATED: ErrorReason.ACCOUNT_DEACTIVATED,
  PASSWORD_TOO_SHORT: ErrorReason.PASSWORD_TOO_SHORT,
  PASSWORD_TOO_LONG: ErrorReason.PASSWORD_TOO_LONG,
  PASSWORD_TOO_COMMON: ErrorReason.PASSWORD_TOO_COMMON,
  PASSWORD_CONTAINS_IDENTIFIER: ErrorReason.PASSWORD_CONTAINS_IDENTIFIER,
  PASSWORD_UNCHANGED: ErrorReason.PASSWORD_UNCHANGED,
  PASSWORD_NOT_SET: ErrorReason.PASSWORD_NOT_SET,
  STEP_UP_REQUIRED: ErrorReason.STEP_UP_REQUIRED,
  CHALLENGE_EXPIRED: ErrorReason.CHALLENGE_EXPIRED,
  INVALID_CODE: ErrorReason.INVALID_CODE,
  RATE_LIMITED: ErrorReason.RATE_LIMITED,
  TOKEN_EXPIRED: ErrorReason.TOKEN_EXPIRED,
  TOKEN_INVALID: ErrorReason.TOKEN_INVALID,
  SESSION_REVOKED: ErrorReason.SESSION_REVOKED,
  CAPTCHA_FAILED: ErrorReason.CAPTCHA_FAILED,
  IDENTITY_LINK_REQUIRED: ErrorReason.IDENTITY_LINK_REQUIRED,
  LAST_SIGN_IN_METHOD: ErrorReason.LAST_SIGN_IN_METHOD,
  TENANT_SUSPENDED: ErrorReason.TENANT_SUSPENDED,
  CONTINUE_URL_NOT_ALLOWED: ErrorReason.CONTINUE_URL_NOT_ALLOWED,
  PASSWORD_CHANGE_REQUIRED: ErrorReason.PASSWORD_CHANGE_REQUIRED,
  LAST_ADMIN: ErrorReason.LAST_ADMIN,
  CODE_ALREADY_USED: ErrorReason.CODE_ALREADY_USED,
  REAUTHENTICATION_REQUIRED: ErrorReason.REAUTHENTICATION_REQUIRED,
};

export function toConnectError(
  error: unknown,
  logger: Logger,
  requestId: string,
  procedure: string,
): ConnectError {
  if (error instanceof DomainError) {
    // The reason travels as an ErrorInfo detail, so clients branch on it instead of the message.
    const details =
      error.errorReason === undefined
        ? undefined
        : [{ desc: ErrorInfoSchema, value: { reason: reasons[error.errorReason] } }];
    const connectError = new ConnectError(error.message, codes[error.kind], undefined, details, error);
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
