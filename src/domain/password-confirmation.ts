// Re-authentication: sensitive changes (password, email, deactivation, deletion, API keys) ask for
// the account password again. Wrong answers are counted per account, so a stolen session cannot be
// used to guess the password at leisure; over the limit the answer is ResourceExhausted.
//
// The count is reserved before the password is verified and given back when it was right, so that
// concurrent guesses cannot all be verified before the first of them is counted.
import {
  failedPrecondition,
  invalidArgument,
  resourceExhausted,
  unauthenticated,
  withReason,
} from "./errors.js";
import { hasPassword, type PasswordHasher } from "./passwords.js";
import type { RateLimiter } from "./ports.js";

export interface PasswordConfirmationOptions {
  hasher: PasswordHasher;
  rateLimiter: RateLimiter;
  maxFailures: number;
  windowSeconds: number;
}

export class PasswordConfirmation {
  constructor(private readonly options: PasswordConfirmationOptions) {}

  /** Throws unless `password` is the account's password; `field` names the request field. */
  async confirm(
    userId: string,
    passwordHash: string,
    password: string,
    field = "current_password",
  ): Promise<void> {
    if (!hasPassword(passwordHash)) {
      // An account made by a provider sign-in: there is nothing to confirm against.
      throw withReason(
        "PASSWORD_NOT_SET",
        failedPrecondition(`${field}: this account has no password yet; set one with RequestPasswordReset`),
      );
    }
    if (password === "") throw invalidArgument(field, "is required");
    const { hasher, rateLimiter, maxFailures, windowSeconds } = this.options;
    // A place in the hashing queue before the attempt is counted (see login).
    const admission = hasher.admit();
    try {
      const reservation = await rateLimiter.reserve(`reauth:${userId}`, maxFailures, windowSeconds);
      if (!reservation.allowed)
        throw resourceExhausted("too many wrong passwords", reservation.retryAfterSeconds);
      if (!(await hasher.verify(passwordHash, password, admission))) {
        throw withReason("INVALID_CREDENTIALS", unauthenticated(`${field}: the password is not correct`));
      }
      await rateLimiter.refund(reservation);
    } finally {
      admission.release();
    }
  }
}
