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

export class DomainError extends Error {
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

export const invalidArgument = (field: string, message: string) =>
  new DomainError("invalid_argument", `${field}: ${message}`, field);

export const unauthenticated = (message = "not signed in") => new DomainError("unauthenticated", message);

export const permissionDenied = (message: string) => new DomainError("permission_denied", message);

export const notFound = (message: string) => new DomainError("not_found", message);

export const alreadyExists = (message: string) => new DomainError("already_exists", message);

export const failedPrecondition = (message: string) => new DomainError("failed_precondition", message);

export const resourceExhausted = (message: string, retryAfterSeconds: number) =>
  new DomainError(
    "resource_exhausted",
    `${message}; try again in ${Math.max(1, Math.ceil(retryAfterSeconds))} seconds`,
    undefined,
    Math.max(1, Math.ceil(retryAfterSeconds)),
  );

/** A service authd depends on (an identity provider) could not be reached; the client may retry. */
export const unavailable = (message: string) => new DomainError("unavailable", message);

/** The one answer for every failed sign-in, so a response never tells which part was wrong. */
export const invalidCredentials = () => unauthenticated("invalid credentials");
