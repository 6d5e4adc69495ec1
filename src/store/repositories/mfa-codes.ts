// The second factor's short-lived rows over TypeORM: sent codes, sign-in challenges, trusted
// devices, step-ups and wrong-code counters (interfaces: src/domain/mfa/persistence.ts).
import { type EntityManager, LessThan } from "typeorm";
import type {
  ChallengeRepository,
  FailureRepository,
  SentCodeRepository,
  StepUpRepository,
  TrustedDeviceRepository,
} from "../../domain/mfa/persistence.js";
import {
  MfaChallengeEntity,
  MfaCodeEntity,
  MfaFailureEntity,
  MfaStepUpEntity,
  MfaTrustedDeviceEntity,
} from "../entities/mfa.js";
import { findOneStrict } from "../guard.js";
import { pageBy } from "../keyset.js";

const required = (value: string, what: string) => {
  if (!value) throw new Error(`${what} is required`);
  return value;
};

export function sentCodeRepository(em: EntityManager): SentCodeRepository {
  return {
    replace: async (code) => {
      await em.delete(MfaCodeEntity, { binding: required(code.binding, "binding") });
      await em.insert(MfaCodeEntity, code);
    },
    find: (binding) => findOneStrict(em, MfaCodeEntity, { binding }),
    claim: async (binding, codeHash) => {
      const result = await em
        .createQueryBuilder()
        .delete()
        .from(MfaCodeEntity)
        .where("binding = :binding AND code_hash = :hash", { binding, hash: codeHash })
        .execute();
      return result.affected === 1;
    },
    delete: async (binding) => {
      await em.delete(MfaCodeEntity, { binding: required(binding, "binding") });
    },
    deleteExpiredBefore: async (at) => {
      await em.delete(MfaCodeEntity, { expiresAt: LessThan(at) });
    },
  };
}

export function challengeRepository(em: EntityManager): ChallengeRepository {
  return {
    insert: async (challenge) => {
      // Through save, as the JSON column's transformer expects an entity.
      await em.save(Object.assign(em.create(MfaChallengeEntity), challenge));
    },
    findByTokenHash: (tokenHash) => findOneStrict(em, MfaChallengeEntity, { tokenHash }),
    claim: async (id, at) => {
      const result = await em
        .createQueryBuilder()
        .update(MfaChallengeEntity)
        .set({ consumedAt: at })
        .where("id = :id AND consumed_at IS NULL", { id })
        .execute();
      return result.affected === 1;
    },
    deleteExpiredBefore: async (at) => {
      await em.delete(MfaChallengeEntity, { expiresAt: LessThan(at) });
    },
  };
}

export function trustedDeviceRepository(em: EntityManager): TrustedDeviceRepository {
  return {
    insert: async (device) => {
      await em.insert(MfaTrustedDeviceEntity, device);
    },
    findByTokenHash: (tokenHash) => findOneStrict(em, MfaTrustedDeviceEntity, { tokenHash }),
    pageOfUser: (userId, query, now) => {
      const qb = em
        .createQueryBuilder(MfaTrustedDeviceEntity, "d")
        .where("d.user_id = :userId AND d.expires_at > :now", { userId: required(userId, "user id"), now });
      return pageBy(qb, "d", query).getMany();
    },
    deleteOfUser: async (userId, id) => {
      const result = await em.delete(MfaTrustedDeviceEntity, {
        id: required(id, "device id"),
        userId: required(userId, "user id"),
      });
      return (result.affected ?? 0) > 0;
    },
    deleteAllOfUser: async (userId) => {
      const result = await em.delete(MfaTrustedDeviceEntity, { userId: required(userId, "user id") });
      return result.affected ?? 0;
    },
    deleteExpiredBefore: async (at) => {
      await em.delete(MfaTrustedDeviceEntity, { expiresAt: LessThan(at) });
    },
  };
}

export function stepUpRepository(em: EntityManager): StepUpRepository {
  return {
    replace: async (stepUp) => {
      await em.delete(MfaStepUpEntity, { sessionId: required(stepUp.sessionId, "session id") });
      await em.insert(MfaStepUpEntity, stepUp);
    },
    find: (sessionId) => findOneStrict(em, MfaStepUpEntity, { sessionId }),
    deleteExpiredBefore: async (at) => {
      await em.delete(MfaStepUpEntity, { validUntil: LessThan(at) });
    },
  };
}

export function failureRepository(em: EntityManager): FailureRepository {
  return {
    find: (key) => findOneStrict(em, MfaFailureEntity, { failureKey: key }),
    claimAttempt: async (key, now) => {
      await em
        .createQueryBuilder()
        .insert()
        .into(MfaFailureEntity)
        .values({ failureKey: required(key, "failure key"), failures: 0, lockedUntil: null })
        .orIgnore()
        .execute();
      // The row lock this UPDATE takes orders concurrent increments.
      const counted = await em
        .createQueryBuilder()
        .update(MfaFailureEntity)
        .set({ failures: () => "failures + 1" })
        .where("failure_key = :key AND (locked_until IS NULL OR locked_until <= :now)", { key, now })
        .execute();
      return counted.affected === 1;
    },
    lockIfReached: async (key, max, until) => {
      await em
        .createQueryBuilder()
        .update(MfaFailureEntity)
        .set({ failures: 0, lockedUntil: until })
        .where("failure_key = :key AND failures >= :max", { key, max })
        .execute();
    },
    clear: async (key) => {
      await em.delete(MfaFailureEntity, { failureKey: required(key, "failure key") });
    },
    deleteSpentBefore: async (at) => {
      await em
        .createQueryBuilder()
        .delete()
        .from(MfaFailureEntity)
        .where("locked_until IS NOT NULL AND locked_until < :at AND failures = 0", { at })
        .execute();
    },
  };
}
