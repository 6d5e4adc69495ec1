// Per-user rate limits of the second factor: what costs money or CPU for every request.
import { resourceExhausted } from "../errors.js";
import type { MfaDeps } from "./deps.js";

/** What counting sends reads. */
export type SendLimitDeps = Pick<MfaDeps, "rateLimiter" | "codesPerUser" | "rateLimitWindowSeconds">;

/** Counts one SMS or email send for the user; refuses beyond the configured rate. */
export async function limitSends(deps: SendLimitDeps, userId: string): Promise<void> {
  const result = await deps.rateLimiter.consume(
    `mfa-code:${userId}`,
    deps.codesPerUser,
    deps.rateLimitWindowSeconds,
  );
  if (!result.allowed) throw resourceExhausted("too many codes sent", result.retryAfterSeconds);
}

/** Counts one new set of recovery codes (ten argon2id hashes) for the user. */
export async function limitRegenerations(
  deps: Pick<MfaDeps, "rateLimiter" | "recoveryCodeRegenerations" | "rateLimitWindowSeconds">,
  userId: string,
): Promise<void> {
  const result = await deps.rateLimiter.consume(
    `mfa-recovery-codes:${userId}`,
    deps.recoveryCodeRegenerations,
    deps.rateLimitWindowSeconds,
  );
  if (!result.allowed)
    throw resourceExhausted("too many new sets of recovery codes", result.retryAfterSeconds);
}
