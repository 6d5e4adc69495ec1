// Emailed single-use tokens. The claim is a conditional UPDATE: of two concurrent callers (even on
// two replicas), exactly one changes the row.
import { type EntityManager, In, IsNull } from "typeorm";
import type { OneTimeTokenRepository } from "../../domain/one-time-token-persistence.js";
import { OneTimeTokenEntity } from "../entities/one-time-token.js";
import { findOneStrict } from "../guard.js";

export function oneTimeTokenRepository(em: EntityManager): OneTimeTokenRepository {
  return {
    insert: async ({ payload, ...token }) => {
      const row = em.create(OneTimeTokenEntity, token);
      row.payload = payload;
      await em.insert(OneTimeTokenEntity, row);
    },
    findByHash: (tokenHash, purpose) => findOneStrict(em, OneTimeTokenEntity, { tokenHash, purpose }),
    claim: async (id, at) => {
      const result = await em
        .createQueryBuilder()
        .update(OneTimeTokenEntity)
        .set({ usedAt: at })
        .where("id = :id AND used_at IS NULL", { id })
        .execute();
      return result.affected === 1;
    },
    voidPending: async (userId, purposes, at) => {
      if (!userId) throw new Error("voidPending needs a user id");
      if (purposes.length === 0) return;
      await em.update(
        OneTimeTokenEntity,
        { userId, purpose: In([...purposes]), usedAt: IsNull() },
        { usedAt: at },
      );
    },
  };
}
