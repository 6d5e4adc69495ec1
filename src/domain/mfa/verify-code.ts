// Checking a code against one authenticator, with the lockout around it. Each kind of factor has
// its own single-use rule: TOTP records the accepted time step with a conditional UPDATE (a code
// of that step or an earlier one never passes again, and is told apart from a wrong one); a
// recovery code is marked used with a conditional UPDATE; an SMS or email code is deleted. Of two
// concurrent uses, only one wins.
//
// Every attempt is counted before it is checked (reserveAttempt) and refunded when right. Recovery
// codes are salted argon2id hashes: comparing them is slow, so it never runs inside a transaction
// (on SQLite every transaction waits for the one before). `prepareRecoveryCode` reserves the
// attempt and compares the hashes first; the transaction then only claims the matched row.
import {
  type DomainError,
  invalidArgument,
  invalidCode,
  invalidCodeField,
  spentCode,
  spentCodeField,
} from "../errors.js";
import type { MfaRepositories } from "../persistence.js";
import { commit, type Transaction } from "../unit-of-work.js";
import { looksLikeRecoveryCode, normaliseRecoveryCode } from "./codes.js";
import type { MfaDeps } from "./deps.js";
import { clearFailures, lockedError, lockoutKey, reserveAttempt } from "./failures.js";
import type { AuthenticatorRecord } from "./persistence.js";
import { consumeCode } from "./sent-codes.js";
import { verifyTotp } from "./totp.js";

export type CodeCheck = { ok: true } | { ok: false; error: DomainError };

/**
 * What a code did: passed (and is now used up), did not match, or matched an authenticator-app
 * time step already used (the person typed it twice, or someone replays it).
 */
export type CodeUse = "accepted" | "wrong" | "spent";

/** The errors a refused code answers: a wrong one, and an authenticator-app code already used. */
export interface CodeErrors {
  wrong(): DomainError;
  spent(): DomainError;
}

/** For sign-in and step-up, where no request field is at fault (unauthenticated). */
export const codeErrors: CodeErrors = { wrong: invalidCode, spent: spentCode };
/** For requests whose `code` field is at fault (invalid_argument naming it). */
export const codeFieldErrors: CodeErrors = { wrong: invalidCodeField, spent: spentCodeField };

/**
 * A recovery code compared before the transaction: the attempt is already counted against
 * `authenticatorId`, and `codeId` is the unused code it matched (null: none).
 */
export interface PreparedRecoveryCode {
  authenticatorId: string;
  /** The factor's lockout key, which holds the reserved attempt. */
  lockoutKey: string;
  codeId: string | null;
}

/** What checking a code reads: the time, the box of TOTP secrets and the key of sent codes. */
export type CodeDeps = Pick<MfaDeps, "clock" | "box" | "codeKey">;

/** Associated data that ties a sealed TOTP secret to its authenticator row. */
export const totpAad = (authenticatorId: string) => `totp:${authenticatorId}`;

async function acceptTotp(
  deps: Pick<MfaDeps, "clock" | "box">,
  tx: Transaction<MfaRepositories>,
  a: AuthenticatorRecord,
  code: string,
): Promise<CodeUse> {
  if (a.secretSealed === null) return "wrong";
  const now = deps.clock.now();
  const secret = deps.box.open(a.secretSealed, totpAad(a.id));
  const step = await verifyTotp(secret, code.trim(), now, a.lastUsedStep);
  if (step !== null) {
    // Of two concurrent uses of one code, the one that loses the claim gave a code just used.
    return (await tx.mfa.authenticators.claimTotpStep(a.id, step, now)) ? "accepted" : "spent";
  }
  // Refused: a code of a step at or before the last one used would match without that rule.
  if (a.lastUsedStep !== null && (await verifyTotp(secret, code.trim(), now, null)) !== null) return "spent";
  return "wrong";
}

/**
 * The slow half of checking a recovery code, outside any transaction. Reserves one attempt against
 * the user's active recovery-code factor (`authenticatorId` when given), then compares the code
 * with each unused hash (ten at most: salted hashes cannot be looked up). Answers null when there
 * is nothing to compare: the code does not look like a recovery code, there is no such factor, or
 * it is locked (the transaction then answers the lock).
 */
export async function prepareRecoveryCode(
  deps: Pick<MfaDeps, "uow" | "clock" | "hasher">,
  userId: string,
  code: string,
  authenticatorId?: string,
): Promise<PreparedRecoveryCode | null> {
  if (!looksLikeRecoveryCode(code)) return null;
  const now = deps.clock.now();
  // A place in the hashing queue before the attempt is counted: a busy server answers Unavailable
  // without counting, never after (a counted attempt it then refused would count against the owner).
  const admission = deps.hasher.admit();
  try {
    const candidates = await deps.uow.run(async (tx) => {
      const a = await tx.mfa.authenticators.findActiveRecoveryCodes(userId, authenticatorId);
      if (!a || (await reserveAttempt(tx, lockoutKey(a), now))) return commit(null);
      const unused = await tx.mfa.recoveryCodes.listUnused(a.id);
      return commit({ authenticatorId: a.id, lockoutKey: lockoutKey(a), unused });
    });
    if (!candidates) return null;
    const typed = normaliseRecoveryCode(code);
    for (const row of candidates.unused) {
      if (await deps.hasher.verify(row.codeHash, typed, admission)) {
        return {
          authenticatorId: candidates.authenticatorId,
          lockoutKey: candidates.lockoutKey,
          codeId: row.id,
        };
      }
    }
    return { authenticatorId: candidates.authenticatorId, lockoutKey: candidates.lockoutKey, codeId: null };
  } finally {
    admission.release();
  }
}

/** Marks the prepared code used; the conditional UPDATE is the single use. */
async function claimRecoveryCode(
  deps: Pick<MfaDeps, "clock">,
  tx: Transaction<MfaRepositories>,
  a: AuthenticatorRecord,
  prepared: PreparedRecoveryCode | undefined,
): Promise<CodeUse> {
  if (prepared?.authenticatorId !== a.id || prepared.codeId === null) return "wrong";
  const now = deps.clock.now();
  if (!(await tx.mfa.recoveryCodes.claim(prepared.codeId, a.id, now))) return "wrong";
  await tx.mfa.authenticators.noteUse(a.id, now);
  return "accepted";
}

/** Checks and uses up `code` for `a`, without lockout bookkeeping. */
export async function acceptCode(
  deps: CodeDeps,
  tx: Transaction<MfaRepositories>,
  a: AuthenticatorRecord,
  code: string,
  binding: string | undefined,
  prepared?: PreparedRecoveryCode,
): Promise<CodeUse> {
  switch (a.type) {
    case "totp":
      return acceptTotp(deps, tx, a, code);
    case "recovery_codes":
      return claimRecoveryCode(deps, tx, a, prepared);
    case "sms":
    case "email": {
      if (binding === undefined) return "wrong";
      const now = deps.clock.now();
      if (!(await consumeCode(tx, deps.codeKey, binding, code, now))) return "wrong";
      await tx.mfa.authenticators.noteUse(a.id, now);
      return "accepted";
    }
  }
}

/**
 * Checks `code` against `a`. SMS and email codes must have been sent for `binding`; a recovery
 * code must have been compared by `prepareRecoveryCode` (`prepared`). Wrong and spent codes count
 * towards the factor's lockout; `errors` builds the error each answers.
 */
export async function checkCode(
  deps: CodeDeps,
  tx: Transaction<MfaRepositories>,
  a: AuthenticatorRecord,
  code: string,
  binding: string | undefined,
  errors: CodeErrors,
  prepared?: PreparedRecoveryCode | null,
): Promise<CodeCheck> {
  if (code.trim() === "") return { ok: false, error: invalidArgument("code", "is required") };
  if (code.length > 64) return { ok: false, error: invalidArgument("code", "is too long") };
  const key = lockoutKey(a);
  const now = deps.clock.now();
  // A prepared recovery code has counted its attempt already.
  const reserved = prepared?.authenticatorId === a.id;
  if (!reserved) {
    const locked = await reserveAttempt(tx, key, now);
    if (locked) return { ok: false, error: locked };
  }
  const use = await acceptCode(deps, tx, a, code, binding, prepared ?? undefined);
  if (use !== "accepted") {
    return { ok: false, error: (await lockedError(tx, key, now)) ?? errors[use]() };
  }
  await clearFailures(tx, key);
  return { ok: true };
}
