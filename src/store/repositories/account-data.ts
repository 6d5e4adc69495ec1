// The rows other features keep for an account, as account-wide changes (recovery, an email move,
// erasure) reach them. Erasure deletes children before parents: the foreign keys cascade from users
// (migration 1764000005300), but an account is erased the same on a database whose keys are
// missing. Rows without an account column that name the account in their key (rate-limit counters,
// MFA failure counters) go too. The audit trail is the one exception: it keeps the opaque account id
// and the event types.
import { type EntityManager, IsNull } from "typeorm";
import type { AccountDataRepository } from "../../domain/accounts/persistence.js";
import { ApiKeyEntity } from "../entities/api-key.js";
import { AuditEventEntity } from "../entities/audit-event.js";
import { LinkedIdentityEntity } from "../entities/linked-identity.js";
import {
  MfaAuthenticatorEntity,
  MfaChallengeEntity,
  MfaCodeEntity,
  MfaFailureEntity,
  MfaRecoveryCodeEntity,
  MfaStepUpEntity,
  MfaTrustedDeviceEntity,
} from "../entities/mfa.js";
import { OneTimeTokenEntity } from "../entities/one-time-token.js";
import { RefreshTokenEntity } from "../entities/refresh-token.js";
import { SessionEntity } from "../entities/session.js";
import { UserEntity } from "../entities/user.js";
import type { ProfileChanged } from "./profile-changed.js";

function requireUserId(userId: string, what: string): void {
  if (!userId) throw new Error(`${what} needs a user id`);
}

/**
 * Only erasure changes a profile (it ends it); the rest reach rows no profile shows (the audit trail,
 * pending sign-ins, linked identities, the email factor's destination and sent codes).
 */
export function accountDataRepository(
  em: EntityManager,
  profileChanged: ProfileChanged,
): AccountDataRepository {
  return {
    erase: (account) => {
      profileChanged(account.id);
      return eraseAccount(em, account);
    },
    forgetRequestOrigins: async (userId) => {
      requireUserId(userId, "forgetRequestOrigins");
      await em.update(AuditEventEntity, { userId }, { ip: "", userAgent: "" });
    },
    voidPendingSignIns: async (userId, now) => {
      requireUserId(userId, "voidPendingSignIns");
      await em.update(MfaChallengeEntity, { userId, consumedAt: IsNull() }, { consumedAt: now });
    },
    unlinkIdentities: async (userId) => {
      requireUserId(userId, "unlinkIdentities");
      await em.delete(LinkedIdentityEntity, { userId });
    },
    moveEmailFactor: async (userId, oldEmail, newEmail) => {
      requireUserId(userId, "moveEmailFactor");
      await em.update(MfaAuthenticatorEntity, { userId, type: "email" }, { destination: newEmail });
      await em.delete(MfaCodeEntity, { userId, destination: oldEmail });
    },
  };
}

async function eraseAccount(em: EntityManager, account: { id: string; email: string }): Promise<void> {
  const userId = account.id;
  requireUserId(userId, "eraseAccount");
  const authenticatorIds = (
    await em.find(MfaAuthenticatorEntity, { where: { userId }, select: { id: true } })
  ).map((a) => a.id);

  await em
    .createQueryBuilder()
    .delete()
    .from(RefreshTokenEntity)
    .where("session_id IN (SELECT id FROM sessions WHERE user_id = :userId)", { userId })
    .execute();
  await em
    .createQueryBuilder()
    .delete()
    .from(MfaRecoveryCodeEntity)
    .where("authenticator_id IN (SELECT id FROM mfa_authenticators WHERE user_id = :userId)", { userId })
    .execute();
  for (const entity of [
    SessionEntity,
    ApiKeyEntity,
    OneTimeTokenEntity,
    MfaCodeEntity,
    MfaChallengeEntity,
    MfaTrustedDeviceEntity,
    MfaStepUpEntity,
    MfaAuthenticatorEntity,
    LinkedIdentityEntity,
  ]) {
    await em.delete(entity, { userId });
  }
  await deleteKeysNaming(em, MfaFailureEntity, "failure_key", [userId, ...authenticatorIds]);
  // Rate-limit rows are not erased: their keys are stored hashed (repositories/rate-limits.ts), so
  // they name no one, and they end with their window. Keeping them also keeps a deleted address's
  // mail limit in force against a re-registration flood.
  await em.delete(UserEntity, { id: userId });
}

/** Deletes the rows whose `column` contains any of `values` literally (LIKE wildcards escaped). */
async function deleteKeysNaming(
  em: EntityManager,
  entity: typeof MfaFailureEntity,
  column: string,
  values: string[],
): Promise<void> {
  for (const [i, value] of values.filter((v) => v !== "").entries()) {
    const pattern = `%${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    await em
      .createQueryBuilder()
      .delete()
      .from(entity)
      .where(`"${column}" LIKE :pattern${i} ESCAPE '\\'`, { [`pattern${i}`]: pattern })
      .execute();
  }
}
