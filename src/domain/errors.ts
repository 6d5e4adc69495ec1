// The catalogue of failures the domain reports. Domain code throws these; the error interceptor
// turns them into Connect codes, so transport concerns stay out of the domain.
export type ErrorKind =
  | "invalid_argument"
  | "unauthenticated"
  | "permission_denied"
  | "not_found"
  | "already_exists"
  | "failed_precondition"
  | "resource_exhausted"
  | "unavailable"
  | "unimplemented";

/**
 * Why a request failed, in a word a client can branch on (sent as the ErrorInfo detail, the
 * contract's ErrorReason without its prefix). Never one that tells more than the message does: a
 * locked account answers INVALID_CREDENTIALS, exactly like a wrong password.
 */
export type ErrorReason =
  | "INVALID_CREDENTIALS"
  | "EMAIL_NOT_VERIFIED"
  | "ACCOUNT_DEACTIVATED"
  | "PASSWORD_TOO_SHORT"
  | "PASSWORD_TOO_LONG"
  | "PASSWORD_TOO_COMMON"
  | "PASSWORD_CONTAINS_IDENTIFIER"
  | "PASSWORD_UNCHANGED"
  | "PASSWORD_NOT_SET"
  | "STEP_UP_REQUIRED"
  | "CHALLENGE_EXPIRED"
  | "INVALID_CODE"
  | "RATE_LIMITED"
  | "TOKEN_EXPIRED"
  | "TOKEN_INVALID"
  | "SESSION_REVOKED"
  | "CAPTCHA_FAILED"
  | "IDENTITY_LINK_REQUIRED"
  | "LAST_SIGN_IN_METHOD"
  | "TENANT_SUSPENDED"
  | "CONTINUE_URL_NOT_ALLOWED"
  | "PASSWORD_CHANGE_REQUIRED"
  | "LAST_ADMIN"
  | "CODE_ALREADY_USED"
  | "REAUTHENTICATION_REQUIRED";

export class DomainError extends Error {
  /** Sent to the client beside the code and message (see ErrorReason); unset for most mistakes. */
  errorReason?: ErrorReason;

  /**
   * Why, in a word for the operator (metrics, logs), where the client's answer must not tell it: a
   * locked account answers like a wrong password. Never sent to the client.
   */
  reason?: string;

  constructor(
    readonly kind: ErrorKind,
    message: string,
    /** For invalid_argument: the request field at fault, in proto (snake_case) spelling. */
    readonly field?: string,
    /** For resource_exhausted: how long the caller should wait before trying again. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = "DomainError";
  }
}

/** Gives `error` the reason a client can branch on, and answers it (for `throw withReason(...)`). */
export function withReason<E extends DomainError>(reason: ErrorReason, error: E): E {
  error.errorReason = reason;
  return error;
}

export const invalidArgument = (field: string, message: string) =>
  new DomainError("invalid_argument", `${field}: ${message}`, field);

export const unauthenticated = (message = "not signed in") => new DomainError("unauthenticated", message);

export const permissionDenied = (message: string) => new DomainError("permission_denied", message);

export const notFound = (message: string) => new DomainError("not_found", message);

export const alreadyExists = (message: string) => new DomainError("already_exists", message);

export const failedPrecondition = (message: string) => new DomainError("failed_precondition", message);

/** Every limit authd applies answers RATE_LIMITED, with how long to wait. */
export const resourceExhausted = (message: string, retryAfterSeconds: number) =>
  withReason(
    "RATE_LIMITED",
    new DomainError(
      "resource_exhausted",
      `${message}; try again in ${Math.max(1, Math.ceil(retryAfterSeconds))} seconds`,
      undefined,
      Math.max(1, Math.ceil(retryAfterSeconds)),
    ),
  );

/** A service authd depends on (an identity provider) could not be reached; the client may retry. */
export const unavailable = (message: string) => new DomainError("unavailable", message);

/** The one answer for every failed sign-in, so a response never tells which part was wrong. */
export const invalidCredentials = () =>
  withReason("INVALID_CREDENTIALS", unauthenticated("invalid credentials"));

// ---- The failures said in more than one place, with their reason ----

/** Said only once the password (or provider token) proved the caller owns the account. */
export const accountDeactivated = () =>
  withReason("ACCOUNT_DEACTIVATED", failedPrecondition("this account is deactivated"));

/** Said only once the password (or provider token) proved the caller owns the account. */
/** The password is right but an administrator set it: the owner must choose their own first. */
export const passwordChangeRequired = () =>
  withReason(
    "PASSWORD_CHANGE_REQUIRED",
    failedPrecondition(
      "this password was set by an administrator and must be changed: use the password reset link",
    ),
  );

export const emailNotVerified = () =>
  withReason(
    "EMAIL_NOT_VERIFIED",
    failedPrecondition("the email address is not verified yet: follow the link we sent"),
  );

/** An emailed single-use token (verification, reset, email change, closure) that cannot be used. */
export const unusableEmailedToken = () =>
  withReason("TOKEN_INVALID", invalidArgument("token", "is invalid, expired or already used"));

/** A sign-in challenge that is unknown, expired or already answered. */
export const challengeExpired = () =>
  withReason("CHALLENGE_EXPIRED", unauthenticated("the challenge is unknown or has expired"));

/** A one-time code that does not match (or has expired). */
export const invalidCode = () =>
  withReason("INVALID_CODE", unauthenticated("the code is wrong or has expired"));

/**
 * An authenticator-app code that matched but whose time step was already used (each code is
 * accepted once). Saying so tells nothing a wrong code would hide: whoever gives it already saw it
 * used, and the person who typed it twice learns to wait for the next one.
 */
export const spentCode = () =>
  withReason("CODE_ALREADY_USED", unauthenticated("the code was already used: wait for the next one"));

/** The same two answers for a request whose `code` field is at fault (enrolment, proofs). */
export const invalidCodeField = () =>
  withReason("INVALID_CODE", invalidArgument("code", "is wrong or has expired"));
export const spentCodeField = () =>
  withReason("CODE_ALREADY_USED", invalidArgument("code", "was already used: wait for the next one"));
