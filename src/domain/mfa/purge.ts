// Housekeeping: rows that can no longer be used are deleted, so the tables do not grow forever.
// Challenges are kept a day past expiry (their audit events remain anyway).
import { LessThan } from "typeorm";
import {
  MfaChallengeEntity,
  MfaCodeEntity,
  MfaFailureEntity,
  MfaStepUpEntity,
  MfaTrustedDeviceEntity,
} from "../../store/entities/mfa.js";
import type { Store } from "../../store/store.js";

const DAY_MS = 24 * 3600 * 1000;

export async function purgeExpired(store: Store, now: number): Promise<void> {
  await store.transaction(async (em) => {
    await em.delete(MfaChallengeEntity, { expiresAt: LessThan(now - DAY_MS) });
    await em.delete(MfaCodeEntity, { expiresAt: LessThan(now) });
    await em.delete(MfaTrustedDeviceEntity, { expiresAt: LessThan(now) });
    await em.delete(MfaStepUpEntity, { validUntil: LessThan(now) });
    // A lock that has ended and the count it reset to are worth nothing.
    await em
      .createQueryBuilder()
      .delete()
      .from(MfaFailureEntity)
      .where("locked_until IS NOT NULL AND locked_until < :now AND failures = 0", { now })
      .execute();
  });
}
