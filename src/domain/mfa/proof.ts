// Re-authentication before removing a factor: the account password, or a current code from one of
// the user's active TOTP or recovery-code factors. Wrong proofs count towards their own lockout.
import type { EntityManager } from "typeorm";
import type { UserEntity } from "../../store/entities/user.js";
import { type DomainError, invalidArgument } from "../errors.js";
import { activeAuthenticators } from "./authenticators.js";
import type { MfaDeps } from "./deps.js";
import { authenticatorKey, clearFailures, lockedError, recordFailure } from "./failures.js";
import { acceptCode } from "./verify-code.js";

export type Proof = { kind: "password"; password: string } | { kind: "code"; code: string };

export const proofKey = (userId: string) => `proof:${userId}`;

/** Answers null when the proof holds, else the error to answer (after the failure commits). */
export async function checkProof(
  deps: MfaDeps,
  em: EntityManager,
  user: UserEntity,
  proof: Proof,
): Promise<DomainError | null> {
  const now = deps.clock.now();
  const key = proofKey(user.id);
  const locked = await lockedError(em, key, now);
  if (locked) return locked;
  let ok = false;
  if (proof.kind === "password") {
    ok = proof.password !== "" && (await deps.hasher.verify(user.passwordHash, proof.password));
  } else {
    for (const a of await activeAuthenticators(em, user.id)) {
      if (a.type !== "totp" && a.type !== "recovery_codes") continue;
      if (await lockedError(em, authenticatorKey(a.id), now)) continue;
      if (await acceptCode(deps, em, a, proof.code, undefined)) {
        ok = true;
        break;
      }
    }
  }
  if (!ok) {
    await recordFailure(em, key, now);
    const field = proof.kind;
    return (
      (await lockedError(em, key, now)) ?? invalidArgument(field, `is not a valid ${field} for this account`)
    );
  }
  await clearFailures(em, key);
  return null;
}
