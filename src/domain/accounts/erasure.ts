// Erasing an account: every row that belongs to it, in the caller's transaction. The foreign keys
// cascade from users (migration 1764000005300), but the erasure does not rely on them: it deletes
// children before parents, so an account is erased the same on a database whose keys are missing.
// Rows without an account column that name the account in their key (rate-limit counters, MFA
// failure counters) go too. The audit trail is the one exception: it keeps the opaque account id
// and the event types (closure.ts blanks the IP addresses and user agents).
import type { EntityManager } from "typeorm";
import { ApiKeyEntity } from "../../store/entities/api-key.js";
import { LinkedIdentityEntity } from "../../store/entities/linked-identity.js";
import {
  MfaAuthenticatorEntity,
  MfaChallengeEntity,
  MfaCodeEntity,
  MfaFailureEntity,
  MfaRecoveryCodeEntity,
  MfaStepUpEntity,
  MfaTrustedDeviceEntity,
} from "../../store/entities/mfa.js";
import { OneTimeTokenEntity } from "../../store/entities/one-time-token.js";
import { RateLimitEntity } from "../../store/entities/rate-limit.js";
import { RefreshTokenEntity } from "../../store/entities/refresh-token.js";
import { SessionEntity } from "../../store/entities/session.js";
import { UserEntity } from "../../store/entities/user.js";

export async function eraseAccount(em: EntityManager, user: Pick<UserEntity, "id" | "email">): Promise<void> {
  const userId = user.id;
  if (!userId) throw new Error("eraseAccount needs a user id");
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
  await deleteKeysNaming(em, RateLimitEntity, "key", [userId, user.email]);
  await em.delete(UserEntity, { id: userId });
}

/** Deletes the rows whose `column` contains any of `values` literally (LIKE wildcards escaped). */
async function deleteKeysNaming(
  em: EntityManager,
  entity: typeof MfaFailureEntity | typeof RateLimitEntity,
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
