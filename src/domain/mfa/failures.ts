// Wrong-code counting. Five consecutive wrong codes lock the factor for 15 minutes; a right code
// resets the count. The counter lives in the database and moves with single UPDATE statements, so
// concurrent guesses on several replicas all count.
//
// A failure must be recorded even though the request fails: callers return the DomainError from
// their transaction instead of throwing it (see `commitThenThrow`), so the count commits.
import type { EntityManager } from "typeorm";
import { MfaFailureEntity } from "../../store/entities/mfa.js";
import { findOneStrict } from "../../store/guard.js";
import { DomainError, resourceExhausted } from "../errors.js";

export const MAX_CODE_FAILURES = 5;
export const CODE_LOCKOUT_SECONDS = 15 * 60;

export const authenticatorKey = (authenticatorId: string) => `authenticator:${authenticatorId}`;

/** Answers the error to give when `key` is locked at `now`, or null. */
export async function lockedError(em: EntityManager, key: string, now: number): Promise<DomainError | null> {
  const row = await findOneStrict(em, MfaFailureEntity, { failureKey: key });
  if (row?.lockedUntil != null && row.lockedUntil > now) {
    return resourceExhausted("too many wrong codes", (row.lockedUntil - now) / 1000);
  }
  return null;
}

/** Counts one wrong code; the fifth locks `key` (and starts a fresh count for after the lock). */
export async function recordFailure(em: EntityManager, key: string, now: number): Promise<void> {
  await em
    .createQueryBuilder()
    .insert()
    .into(MfaFailureEntity)
    .values({ failureKey: key, failures: 0, lockedUntil: null })
    .orIgnore()
    .execute();
  await em
    .createQueryBuilder()
    .update(MfaFailureEntity)
    .set({ failures: () => "failures + 1" })
    .where("failure_key = :key", { key })
    .execute();
  await em
    .createQueryBuilder()
    .update(MfaFailureEntity)
    .set({ failures: 0, lockedUntil: now + CODE_LOCKOUT_SECONDS * 1000 })
    .where("failure_key = :key AND failures >= :max", { key, max: MAX_CODE_FAILURES })
    .execute();
}

export async function clearFailures(em: EntityManager, key: string): Promise<void> {
  await em.delete(MfaFailureEntity, { failureKey: key });
}

/**
 * Runs `work` in one transaction; when it answers a DomainError, the transaction still commits
 * (recording failures) and the error is thrown afterwards.
 */
export async function commitThenThrow<T>(
  transaction: <R>(work: (em: EntityManager) => Promise<R>) => Promise<R>,
  work: (em: EntityManager) => Promise<T | DomainError>,
): Promise<T> {
  const result = await transaction(work);
  if (result instanceof DomainError) throw result;
  return result;
}
