// Checking a code against one authenticator, with the lockout around it. Each kind of factor has
// its own single-use rule: TOTP records the accepted time step with a conditional UPDATE (a code
// of that step or an earlier one never passes again); a recovery code is marked used with a
// conditional UPDATE; an SMS or email code is deleted. Of two concurrent uses, only one wins.
import { type EntityManager, IsNull } from "typeorm";
import { MfaAuthenticatorEntity, MfaRecoveryCodeEntity } from "../../store/entities/mfa.js";
import { findStrict } from "../../store/guard.js";
import { type DomainError, invalidArgument } from "../errors.js";
import { looksLikeRecoveryCode, normaliseRecoveryCode } from "./codes.js";
import type { MfaDeps } from "./deps.js";
import { authenticatorKey, clearFailures, lockedError, recordFailure } from "./failures.js";
import { consumeCode } from "./sent-codes.js";
import { verifyTotp } from "./totp.js";

export type CodeCheck = { ok: true } | { ok: false; error: DomainError };

/** Associated data that ties a sealed TOTP secret to its authenticator row. */
export const totpAad = (authenticatorId: string) => `totp:${authenticatorId}`;

async function acceptTotp(deps: MfaDeps, em: EntityManager, a: MfaAuthenticatorEntity, code: string) {
  if (a.secretSealed === null) return false;
  const now = deps.clock.now();
  const secret = deps.box.open(a.secretSealed, totpAad(a.id));
  const step = await verifyTotp(secret, code.trim(), now, a.lastUsedStep);
  if (step === null) return false;
  const result = await em
    .createQueryBuilder()
    .update(MfaAuthenticatorEntity)
    .set({ lastUsedStep: step, lastUsedAt: now })
    .where("id = :id AND (last_used_step IS NULL OR last_used_step < :step)", { id: a.id, step })
    .execute();
  return result.affected === 1;
}

async function acceptRecoveryCode(deps: MfaDeps, em: EntityManager, a: MfaAuthenticatorEntity, code: string) {
  if (!looksLikeRecoveryCode(code)) return false;
  const now = deps.clock.now();
  const typed = normaliseRecoveryCode(code);
  // Salted hashes cannot be looked up: check each unused code of the set (ten at most).
  const unused = await findStrict(em, MfaRecoveryCodeEntity, { authenticatorId: a.id, usedAt: IsNull() });
  for (const row of unused) {
    if (!(await deps.hasher.verify(row.codeHash, typed))) continue;
    // The conditional UPDATE is the single use: of two concurrent uses, one changes the row.
    const result = await em
      .createQueryBuilder()
      .update(MfaRecoveryCodeEntity)
      .set({ usedAt: now })
      .where("id = :id AND used_at IS NULL", { id: row.id })
      .execute();
    if (result.affected !== 1) return false;
    await em.update(MfaAuthenticatorEntity, { id: a.id }, { lastUsedAt: now });
    return true;
  }
  return false;
}

/** Checks and uses up `code` for `a`, without lockout bookkeeping. */
export async function acceptCode(
  deps: MfaDeps,
  em: EntityManager,
  a: MfaAuthenticatorEntity,
  code: string,
  binding: string | undefined,
): Promise<boolean> {
  switch (a.type) {
    case "totp":
      return acceptTotp(deps, em, a, code);
    case "recovery_codes":
      return acceptRecoveryCode(deps, em, a, code);
    case "sms":
    case "email": {
      if (binding === undefined) return false;
      const now = deps.clock.now();
      if (!(await consumeCode(em, deps.codeKey, binding, code, now))) return false;
      await em.update(MfaAuthenticatorEntity, { id: a.id }, { lastUsedAt: now });
      return true;
    }
  }
}

/**
 * Checks `code` against `a`. SMS and email codes must have been sent for `binding`. Wrong codes
 * count towards the factor's lockout; `wrong` builds the error a wrong code answers.
 */
export async function checkCode(
  deps: MfaDeps,
  em: EntityManager,
  a: MfaAuthenticatorEntity,
  code: string,
  binding: string | undefined,
  wrong: () => DomainError,
): Promise<CodeCheck> {
  if (code.trim() === "") return { ok: false, error: invalidArgument("code", "is required") };
  if (code.length > 64) return { ok: false, error: invalidArgument("code", "is too long") };
  const key = authenticatorKey(a.id);
  const now = deps.clock.now();
  const locked = await lockedError(em, key, now);
  if (locked) return { ok: false, error: locked };
  if (!(await acceptCode(deps, em, a, code, binding))) {
    await recordFailure(em, key, now);
    return { ok: false, error: (await lockedError(em, key, now)) ?? wrong() };
  }
  await clearFailures(em, key);
  return { ok: true };
}
