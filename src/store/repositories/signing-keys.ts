// The keys that sign access tokens.
import { type EntityManager, IsNull } from "typeorm";
import type { SigningKeyRepository } from "../../domain/signing-key-persistence.js";
import { SigningKeyEntity } from "../entities/signing-key.js";

/** The PostgreSQL advisory lock held while a first key is created. */
const FIRST_KEY_LOCK_ID = 727_465_002;

export function signingKeyRepository(em: EntityManager): SigningKeyRepository {
  return {
    listNewestFirst: () => em.find(SigningKeyEntity, { order: { createdAt: "DESC" } }),
    countActive: () => em.countBy(SigningKeyEntity, { retiredAt: IsNull() }),
    lockFirstKey: async () => {
      if (em.connection.options.type === "postgres")
        await em.query("SELECT pg_advisory_xact_lock($1)", [FIRST_KEY_LOCK_ID]);
    },
    insert: async (key) => {
      await em.insert(SigningKeyEntity, key);
    },
    retireActive: async (at) => {
      await em
        .createQueryBuilder()
        .update(SigningKeyEntity)
        .set({ retiredAt: at })
        .where("retired_at IS NULL")
        .execute();
    },
    delete: async (kid) => {
      if (!kid) throw new Error("delete needs a kid");
      await em.delete(SigningKeyEntity, { kid });
    },
  };
}
