// Wrong-code counting. Five consecutive wrong codes lock the factor for 15 minutes; a right code
// resets the count. The counter lives in the database and moves with single UPDATE statements, so
// concurrent guesses on several replicas all count; each attempt is counted before its code is
// checked (reserveAttempt) and refunded when right (clearFailures).
//
// A failure must be recorded even though the request fails: callers answer `commitThenFail(error)`
// from their transaction instead of throwing (see unit-of-work.ts), so the count commits.
import { type DomainError, resourceExhausted } from "../errors.js";
import type { MfaRepositories, Repositories } from "../persistence.js";
import type { Transaction } from "../unit-of-work.js";

export const MAX_CODE_FAILURES = 5;
export const CODE_LOCKOUT_SECONDS = 15 * 60;

export const authenticatorKey = (authenticatorId: string) => `authenticator:${authenticatorId}`;
/** Code proofs for DeleteAuthenticator, per user. */
export const proofKey = (userId: string) => `proof:${userId}`;
/** Codes verifying the profile's mobile number, per user (also the binding of those codes). */
export const mobileKey = (userId: string) => `mobile:${userId}`;
const recoveryCodesKey = (userId: string) => `recovery-codes:${userId}`;

/**
 * The lockout key of a factor. Recovery codes lock per user, not per set: a new set (which is a
 * new authenticator) does not wipe the count of wrong codes.
 */
export const lockoutKey = (a: { id: string; userId: string; type: string }) =>
  a.type === "recovery_codes" ? recoveryCodesKey(a.userId) : authenticatorKey(a.id);

/** Answers the error to give when `key` is locked at `now`, or null. */
export async function lockedError(
  reads: Pick<Repositories, "mfa">,
  key: string,
  now: number,
): Promise<DomainError | null> {
  const row = await reads.mfa.failures.find(key);
  if (row?.lockedUntil != null && row.lockedUntil > now) {
    return resourceExhausted("too many wrong codes", (row.lockedUntil - now) / 1000);
  }
  return null;
}

/**
 * Counts one attempt before it is checked (reserve, then verify): answers the locked error when
 * `key` is locked, else null and the attempt counts as a failure until `clearFailures` refunds it.
 * The increment is conditional on the key not being locked, and a row lock orders concurrent
 * increments, so concurrent guesses never check more codes than the limit allows.
 */
export async function reserveAttempt(
  tx: Transaction<MfaRepositories>,
  key: string,
  now: number,
): Promise<DomainError | null> {
  if (!(await tx.mfa.failures.claimAttempt(key, now)))
    return (
      (await lockedError(tx, key, now)) ?? resourceExhausted("too many wrong codes", CODE_LOCKOUT_SECONDS)
    );
  // The attempt that reaches the limit is still checked; the ones after it are not.
  await tx.mfa.failures.lockIfReached(key, MAX_CODE_FAILURES, now + CODE_LOCKOUT_SECONDS * 1000);
  return null;
}

export async function clearFailures(tx: Transaction<MfaRepositories>, key: string): Promise<void> {
  await tx.mfa.failures.clear(key);
}
