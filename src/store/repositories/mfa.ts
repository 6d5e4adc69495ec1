// The second factor's repositories over TypeORM (the interfaces are src/domain/mfa/persistence.ts).
// Every lookup by a caller-supplied value goes through the guarded helpers; every claim is one
// conditional statement whose affected-row count says whether this call made it.
import type { EntityManager } from "typeorm";
import type {
  AuthenticatorRepository,
  MfaUserPort,
  RecoveryCodeRepository,
  SecondFactorRepositories,
} from "../../domain/mfa/persistence.js";
import { MfaAuthenticatorEntity, MfaRecoveryCodeEntity } from "../entities/mfa.js";
import { UserEntity } from "../entities/user.js";
import { findOneStrict, findStrict } from "../guard.js";
import { pageBy } from "../keyset.js";
import {
  challengeRepository,
  failureRepository,
  sentCodeRepository,
  stepUpRepository,
  trustedDeviceRepository,
} from "./mfa-codes.js";
import type { ProfileChanged } from "./profile-changed.js";

/**
 * The profile shows whether the account has an active second factor (recovery codes with none left
 * do not count) and whether its mobile number is verified: the writes that can change either say so.
 * Most name an authenticator, not its account, so they forget every profile.
 */
export function mfaRepositories(em: EntityManager, profileChanged: ProfileChanged): SecondFactorRepositories {
  return {
    authenticators: authenticatorRepository(em, profileChanged),
    recoveryCodes: recoveryCodeRepository(em, profileChanged),
    sentCodes: sentCodeRepository(em),
    challenges: challengeRepository(em),
    trustedDevices: trustedDeviceRepository(em),
    stepUps: stepUpRepository(em),
    failures: failureRepository(em),
    users: mfaUserPort(em, profileChanged),
  };
}

function authenticatorRepository(em: EntityManager, profileChanged: ProfileChanged): AuthenticatorRepository {
  return {
    pageOfUser: (userId, query, filter) => {
      if (!userId) throw new Error("pageOfUser needs a user id");
      const qb = em.createQueryBuilder(MfaAuthenticatorEntity, "a").where("a.user_id = :userId", { userId });
      if (filter.type !== undefined) qb.andWhere("a.type = :type", { type: filter.type });
      if (filter.active !== undefined) qb.andWhere("a.active = :active", { active: filter.active });
      return pageBy(qb, "a", query).getMany();
    },
    listOfKind: (userId, type, active) =>
      findStrict(em, MfaAuthenticatorEntity, { userId, type, ...(active === undefined ? {} : { active }) }),
    listActive: (userId) =>
      findStrict(em, MfaAuthenticatorEntity, { userId, active: true }, { createdAt: "ASC" }),
    findOfUser: (userId, id) => findOneStrict(em, MfaAuthenticatorEntity, { id, userId }),
    findActiveRecoveryCodes: (userId, id) =>
      findOneStrict(em, MfaAuthenticatorEntity, {
        userId,
        type: "recovery_codes",
        active: true,
        ...(id === undefined ? {} : { id }),
      }),
    // Recovery codes are inserted active.
    insert: async (authenticator) => {
      profileChanged(authenticator.userId);
      await em.insert(MfaAuthenticatorEntity, authenticator);
    },
    delete: async (id) => {
      if (!id) throw new Error("delete needs an authenticator id");
      profileChanged();
      await em.delete(MfaAuthenticatorEntity, { id });
    },
    activate: async (id, at) => {
      if (!id) throw new Error("activate needs an authenticator id");
      profileChanged();
      await em.update(MfaAuthenticatorEntity, { id }, { active: true, lastUsedAt: at });
    },
    // The last use and the last TOTP step, which no profile shows.
    noteUse: async (id, at) => {
      if (!id) throw new Error("noteUse needs an authenticator id");
      await em.update(MfaAuthenticatorEntity, { id }, { lastUsedAt: at });
    },
    claimTotpStep: async (id, step, at) => {
      const result = await em
        .createQueryBuilder()
        .update(MfaAuthenticatorEntity)
        .set({ lastUsedStep: step, lastUsedAt: at })
        .where("id = :id AND (last_used_step IS NULL OR last_used_step < :step)", { id, step })
        .execute();
      return result.affected === 1;
    },
  };
}

/** Every write changes how many codes are left, and a set with none left is no active factor. */
function recoveryCodeRepository(em: EntityManager, profileChanged: ProfileChanged): RecoveryCodeRepository {
  return {
    countUnused: (authenticatorId) =>
      em
        .createQueryBuilder(MfaRecoveryCodeEntity, "c")
        .where("c.authenticator_id = :id AND c.used_at IS NULL", { id: authenticatorId })
        .getCount(),
    listUnused: (authenticatorId) =>
      em
        .createQueryBuilder(MfaRecoveryCodeEntity, "c")
        .where("c.authenticator_id = :id AND c.used_at IS NULL", { id: authenticatorId })
        .getMany(),
    insertMany: async (codes) => {
      profileChanged();
      await em.insert(MfaRecoveryCodeEntity, codes);
    },
    deleteOfAuthenticator: async (authenticatorId) => {
      if (!authenticatorId) throw new Error("deleteOfAuthenticator needs an authenticator id");
      profileChanged();
      await em.delete(MfaRecoveryCodeEntity, { authenticatorId });
    },
    claim: async (id, authenticatorId, at) => {
      profileChanged();
      const result = await em
        .createQueryBuilder()
        .update(MfaRecoveryCodeEntity)
        .set({ usedAt: at })
        .where("id = :id AND authenticator_id = :authenticatorId AND used_at IS NULL", {
          id,
          authenticatorId,
        })
        .execute();
      return result.affected === 1;
    },
  };
}

function mfaUserPort(em: EntityManager, profileChanged: ProfileChanged): MfaUserPort {
  return {
    findById: (id) => findOneStrict(em, UserEntity, { id }),
    markMobileVerified: async (id, at) => {
      if (!id) throw new Error("markMobileVerified needs a user id");
      profileChanged(id);
      await em.update(UserEntity, { id }, { mobileVerified: true, updatedAt: at });
    },
    isMobileVerifiedElsewhere: async (id, mobile) => {
      if (!id || !mobile) throw new Error("isMobileVerifiedElsewhere needs a user id and a number");
      // Numbers are unique among a tenant's verified numbers (the same person may verify one
      // number in each company).
      const self = await findOneStrict(em, UserEntity, { id });
      if (!self) return false;
      const holder = await findOneStrict(em, UserEntity, {
        tenantId: self.tenantId,
        mobile,
        mobileVerified: true,
      });
      return holder !== null && holder.id !== id;
    },
  };
}
