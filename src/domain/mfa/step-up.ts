// Step-up: a second factor proven recently within a session. The re-authentication rule
// (reauthentication.ts) and the writes it guards call requireRecentSecondFactor; StepUp, an MFA
// sign-in and a factor's activation record one.
import { permissionDenied, withReason } from "../errors.js";
import type { MfaRepositories, Repositories } from "../persistence.js";
import type { Transaction } from "../unit-of-work.js";
import { hasActiveFactor } from "./authenticators.js";

/** Records that the session proved a second factor at `now`; answers until when it counts. */
export async function recordStepUp(
  tx: Transaction<MfaRepositories>,
  sessionId: string,
  userId: string,
  now: number,
  ttlSeconds: number,
): Promise<number> {
  const validUntil = now + ttlSeconds * 1000;
  await tx.mfa.stepUps.replace({ sessionId, userId, verifiedAt: now, validUntil });
  return validUntil;
}

/**
 * Throws PermissionDenied unless the caller's session proved a second factor recently (StepUp, or
 * an MFA sign-in, within AUTHD_STEP_UP_TTL). Accounts without an active factor pass: there is
 * nothing to step up with. API keys have no session, so they never pass for such an account.
 */
export async function requireRecentSecondFactor(
  reads: Pick<Repositories, "mfa">,
  principal: { userId: string; sessionId: string | undefined },
  now: number,
): Promise<void> {
  if (!(await hasActiveFactor(reads, principal.userId))) return;
  if (principal.sessionId !== undefined) {
    const row = await reads.mfa.stepUps.find(principal.sessionId);
    if (row !== null && row.userId === principal.userId && row.validUntil > now) return;
  }
  throw withReason(
    "STEP_UP_REQUIRED",
    permissionDenied("this call needs a recent second factor: call MfaService.StepUp"),
  );
}
