import { type EntityManager, IsNull } from "typeorm";
import type { ApiKeyRepository } from "../../domain/persistence.js";
import { ApiKeyEntity } from "../entities/api-key.js";
import { findOneStrict } from "../guard.js";
import { pageBy } from "../keyset.js";

export function apiKeyRepository(em: EntityManager): ApiKeyRepository {
  return {
    insert: async (key) => {
      await em.insert(ApiKeyEntity, key);
    },
    findById: (id) => findOneStrict(em, ApiKeyEntity, { id }),
    findOfUser: (userId, id) => findOneStrict(em, ApiKeyEntity, { id, userId }),
    pageOfUser: (userId, query) => {
      if (!userId) throw new Error("pageOfUser needs a user id");
      const qb = em.createQueryBuilder(ApiKeyEntity, "k").where("k.user_id = :userId", { userId });
      return pageBy(qb, "k", query).getMany();
    },
    revoke: async (id, at) => {
      if (!id) throw new Error("revoke needs an API key id");
      await em.update(ApiKeyEntity, { id }, { revokedAt: at });
    },
    revokeAllOfUser: async (userId, at) => {
      if (!userId) throw new Error("revokeAllOfUser needs a user id");
      await em.update(ApiKeyEntity, { userId, revokedAt: IsNull() }, { revokedAt: at });
    },
    noteLastUse: async (id, at) => {
      if (!id) throw new Error("noteLastUse needs an API key id");
      await em.update(ApiKeyEntity, { id }, { lastUsedAt: at });
    },
  };
}
