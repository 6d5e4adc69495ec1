// Housekeeping: rows that can no longer be used are deleted, so the tables do not grow forever.
// Challenges are kept a day past expiry (their audit events remain anyway).

import type { MfaRepositories } from "../persistence.js";
import { commit, type UnitOfWork } from "../unit-of-work.js";

const DAY_MS = 24 * 3600 * 1000;

export async function purgeExpired(uow: UnitOfWork<MfaRepositories>, now: number): Promise<void> {
  await uow.run(async ({ mfa }) => {
    await mfa.challenges.deleteExpiredBefore(now - DAY_MS);
    await mfa.sentCodes.deleteExpiredBefore(now);
    await mfa.trustedDevices.deleteExpiredBefore(now);
    await mfa.stepUps.deleteExpiredBefore(now);
    // A lock that has ended and the count it reset to are worth nothing.
    await mfa.failures.deleteSpentBefore(now);
    return commit(undefined);
  });
}
