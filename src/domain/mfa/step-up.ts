// Step-up: a second factor proven recently within a session. The re-authentication rule
// (reauthentication.ts) and the writes it guards call requireRecentSecondFactor; StepUp, an MFA
// sign-in and a factor's activation record one.
import type { SessionCaller } from "../callers.js";
import { invalidArgument, permissionDenied, withReason } from "../errors.js";
import type { MfaRepositories, Repositories } from "../persistence.js";
import { commit, commitThenFail, type Transaction } from "../unit-of-work.js";
import { hasActiveFactor, ownAuthenticator } from "./authenticators.js";
import type { MfaDeps } from "./deps.js";
import { limitSends, type SendLimitDeps } from "./limits.js";
import { sendCode } from "./sent-codes.js";
import { type CodeDeps, checkCode, codeErrors, prepareRecoveryCode } from "./verify-code.js";

const stepUpBinding = (sessionId: string, authenticatorId: string) =>
  `stepup:${sessionId}:${authenticatorId}`;

/**
 * StepUp: proves a factor within the caller's session and answers until when it counts. For SMS
 * and email, an empty code sends one (and answers null); the next call carries it.
 */
export async function stepUp(
  deps: CodeDeps & SendLimitDeps & Pick<MfaDeps, "uow" | "notices" | "hasher" | "stepUpTtlSeconds">,
  caller: Pick<SessionCaller, "userId" | "sessionId">,
  authenticatorId: string,
  code: string,
): Promise<number | null> {
  const target = await deps.uow.read((reads) => ownAuthenticator(reads, caller.userId, authenticatorId));
  const binding = stepUpBinding(caller.sessionId, target.id);
  if ((target.type === "sms" || target.type === "email") && code.trim() === "" && target.active) {
    await limitSends(deps, caller.userId);
    const channel = target.type;
    await deps.uow.run(async (tx) =>
      commit(
        await sendCode(tx, deps, deps.clock.now(), {
          binding,
          userId: caller.userId,
          channel,
          destination: target.destination,
          purpose: "confirming a sensitive change",
        }),
      ),
    );
    return null;
  }
  const prepared =
    target.type === "recovery_codes" && target.active
      ? await prepareRecoveryCode(deps, caller.userId, code, target.id)
      : null;
  return deps.uow.run(async (tx) => {
    const a = await ownAuthenticator(tx, caller.userId, authenticatorId);
    if (!a.active) return commitThenFail(invalidArgument("authenticator_id", "is not active"));
    const check = await checkCode(deps, tx, a, code, binding, codeErrors, prepared);
    if (!check.ok) return commitThenFail(check.error);
    return commit(
      await recordStepUp(tx, caller.sessionId, caller.userId, deps.clock.now(), deps.stepUpTtlSeconds),
    );
  });
}

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
