// Re-authentication before removing a factor: the account password (checked by the account's
// re-authentication limit, outside any transaction), or a current code from one of the user's
// active TOTP or recovery-code factors. Wrong codes count towards their own lockout.
import type { EntityManager } from "typeorm";
import type { UserEntity } from "../../store/entities/user.js";
import { type DomainError, invalidArgument } from "../errors.js";
import { activeAuthenticators } from "./authenticators.js";
import type { MfaDeps } from "./deps.js";
import { authenticatorKey, clearFailures, lockedError, reserveAttempt } from "./failures.js";
import { acceptCode, type PreparedRecoveryCode } from "./verify-code.js";

export type Proof = { kind: "password"; password: string } | { kind: "code"; code: string };

export const proofKey = (userId: string) => `proof:${userId}`;

/**
 * Answers null when `code` is a current code of one of the user's TOTP or recovery-code factors,
 * else the error to answer (after the failure commits). A recovery code must have been compared
 * by `prepareRecoveryCode` first (`prepared`).
 */
export async function checkCodeProof(
  deps: MfaDeps,
  em: EntityManager,
  user: UserEntity,
  code: string,
  prepared: PreparedRecoveryCode | null,
): Promise<DomainError | null> {
  if (code.trim() === "") return invalidArgument("code", "is required");
  const now = deps.clock.now();
  const key = proofKey(user.id);
  const locked = await reserveAttempt(em, key, now);
  if (locked) return locked;
  let ok = false;
  for (const a of await activeAuthenticators(em, user.id)) {
    if (a.type !== "totp" && a.type !== "recovery_codes") continue;
    // A prepared recovery code has already passed its factor's lockout.
    if (prepared?.authenticatorId !== a.id && (await lockedError(em, authenticatorKey(a.id), now))) continue;
    if (await acceptCode(deps, em, a, code, undefined, prepared ?? undefined)) {
      ok = true;
      break;
    }
  }
  if (!ok)
    return (
      (await lockedError(em, key, now)) ?? invalidArgument("code", "is not a valid code for this account")
    );
  await clearFailures(em, key);
  if (prepared) await clearFailures(em, authenticatorKey(prepared.authenticatorId));
  return null;
}
