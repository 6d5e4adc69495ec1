// Re-authentication before removing a factor: the account password (checked by the account's
// re-authentication limit, outside any transaction), or a current code from one of the user's
// active TOTP or recovery-code factors. Wrong codes count towards their own lockout, reserved
// before anything is compared (reserveProofAttempt).
import { type DomainError, invalidArgument, spentCodeField, withReason } from "../errors.js";
import type { MfaRepositories } from "../persistence.js";
import { commit, type Transaction } from "../unit-of-work.js";
import type { MfaDeps } from "./deps.js";
import { clearFailures, lockedError, lockoutKey, proofKey, reserveAttempt } from "./failures.js";
import { acceptCode, type CodeDeps, type PreparedRecoveryCode } from "./verify-code.js";

export type Proof = { kind: "password"; password: string } | { kind: "code"; code: string };

/** Counts one code proof before any code is compared; throws while proofs are locked. */
export async function reserveProofAttempt(
  deps: Pick<MfaDeps, "uow" | "clock">,
  userId: string,
  code: string,
) {
  if (code.trim() === "") throw invalidArgument("code", "is required");
  if (code.length > 64) throw invalidArgument("code", "is too long");
  const locked = await deps.uow.run(async (tx) =>
    commit(await reserveAttempt(tx, proofKey(userId), deps.clock.now())),
  );
  if (locked) throw locked;
}

/**
 * Answers null when `code` is a current code of one of the user's TOTP or recovery-code factors,
 * else the error to answer (after the failure commits). The attempt was reserved by
 * reserveProofAttempt; a recovery code was compared by `prepareRecoveryCode` (`prepared`).
 */
export async function checkCodeProof(
  deps: CodeDeps,
  tx: Transaction<MfaRepositories>,
  user: { id: string },
  code: string,
  prepared: PreparedRecoveryCode | null,
): Promise<DomainError | null> {
  const now = deps.clock.now();
  const key = proofKey(user.id);
  let ok = false;
  let spent = false;
  for (const a of await tx.mfa.authenticators.listActive(user.id)) {
    if (a.type !== "totp" && a.type !== "recovery_codes") continue;
    // A prepared recovery code has already passed its factor's lockout.
    if (prepared?.authenticatorId !== a.id && (await lockedError(tx, lockoutKey(a), now))) continue;
    const use = await acceptCode(deps, tx, a, code, undefined, prepared ?? undefined);
    if (use === "accepted") {
      ok = true;
      break;
    }
    spent ||= use === "spent";
  }
  if (!ok)
    return (
      (await lockedError(tx, key, now)) ??
      (spent
        ? spentCodeField()
        : withReason("INVALID_CODE", invalidArgument("code", "is not a valid code for this account")))
    );
  await clearFailures(tx, key);
  if (prepared) await clearFailures(tx, prepared.lockoutKey);
  return null;
}
