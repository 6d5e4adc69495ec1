// Linked identities, and the narrow view of accounts that provider sign-in and linking read.
import type { EntityManager } from "typeorm";
import type {
  IdentityAccount,
  IdentityAccountRepository,
  LinkedIdentityRepository,
} from "../../domain/identities/persistence.js";
import { LinkedIdentityEntity } from "../entities/linked-identity.js";
import { UserEntity } from "../entities/user.js";
import { findOneStrict, findStrict } from "../guard.js";

export function linkedIdentityRepository(em: EntityManager): LinkedIdentityRepository {
  return {
    findBySubject: (provider, subject) => findOneStrict(em, LinkedIdentityEntity, { provider, subject }),
    findOfUser: (userId, id) => findOneStrict(em, LinkedIdentityEntity, { id, userId }),
    listOfUser: (userId) => findStrict(em, LinkedIdentityEntity, { userId }, { createdAt: "ASC", id: "ASC" }),
    insert: async (identity) => {
      await em.insert(LinkedIdentityEntity, identity);
    },
    update: async (id, changes) => {
      if (!id) throw new Error("update needs an identity id");
      await em.update(LinkedIdentityEntity, { id }, changes);
    },
    delete: async (id) => {
      if (!id) throw new Error("delete needs an identity id");
      await em.delete(LinkedIdentityEntity, { id });
    },
  };
}

const toAccount = (user: UserEntity | null): IdentityAccount | null =>
  user && {
    id: user.id,
    email: user.email,
    emailVerified: user.emailVerified,
    status: user.status,
    passwordHash: user.passwordHash,
  };

export function identityAccountRepository(em: EntityManager): IdentityAccountRepository {
  return {
    findById: async (id) => toAccount(await findOneStrict(em, UserEntity, { id })),
    findByEmail: async (email) => toAccount(await findOneStrict(em, UserEntity, { email })),
    insertVerified: async (account) => {
      const user = em.create(UserEntity, {
        id: account.id,
        email: account.email,
        emailVerified: true,
        username: null,
        firstName: "",
        lastName: "",
        mobile: "",
        mobileVerified: false,
        language: "",
        timezone: "",
        status: "active",
        tenantId: null,
        passwordHash: account.passwordHash,
        failedLogins: 0,
        lockedUntil: null,
        createdAt: account.createdAt,
        updatedAt: account.createdAt,
      });
      user.settings = {};
      user.roles = [];
      await em.insert(UserEntity, user);
    },
    lock: async (id, at) => {
      if (!id) throw new Error("lock needs a user id");
      await em.update(UserEntity, { id }, { updatedAt: at });
    },
  };
}
