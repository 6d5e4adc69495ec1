// The accounts' identities at OpenID Connect providers.
import type { EntityManager } from "typeorm";
import type { LinkedIdentityRepository } from "../../domain/identities/persistence.js";
import { LinkedIdentityEntity } from "../entities/linked-identity.js";
import { findOneStrict, findStrict } from "../guard.js";

export function linkedIdentityRepository(em: EntityManager): LinkedIdentityRepository {
  return {
    findBySubject: (tenantId, provider, subject) =>
      findOneStrict(em, LinkedIdentityEntity, { tenantId, provider, subject }),
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
