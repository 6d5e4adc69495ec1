// Re-authentication: sensitive changes (password, email, deactivation, deletion, API keys) ask for
// the account password again. Wrong answers are counted per account, so a stolen session cannot be
// used to guess the password at leisure; over the limit the answer is ResourceExhausted.
import { invalidArgument, resourceExhausted, unauthenticated } from "./errors.js";
import type { PasswordHasher } from "./passwords.js";
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
  async confirm(userId: string, passwordHash: string, password: string, field = "password"): Promise<void> {
    if (password === "") throw invalidArgument(field, "is required");
    const { hasher, rateLimiter, maxFailures, windowSeconds } = this.options;
    const key = `reauth:${userId}`;
    const state = await rateLimiter.peek(key, maxFailures, windowSeconds);
    if (!state.allowed) throw resourceExhausted("too many wrong passwords", state.retryAfterSeconds);
    if (await hasher.verify(passwordHash, password)) return;
    await rateLimiter.consume(key, maxFailures, windowSeconds);
    throw unauthenticated(`${field}: the password is not correct`);
  }
}
