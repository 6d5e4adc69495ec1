// Work recorded before an answer and done after it (domain/after-reply.ts). The claim is the DELETE:
// of two replicas doing the same row, exactly one removes it.
import type { EntityManager } from "typeorm";
import type { DeferredWorkRepository } from "../../domain/after-reply-persistence.js";
import { DeferredWorkEntity } from "../entities/deferred-work.js";
import { findOneStrict } from "../guard.js";

export function deferredWorkRepository(em: EntityManager): DeferredWorkRepository {
  return {
    insert: async (work) => {
      await em.insert(DeferredWorkEntity, work);
    },
    findById: (id) => findOneStrict(em, DeferredWorkEntity, { id }),
    oldestIds: async (limit) => {
      const rows = await em.find(DeferredWorkEntity, {
        select: { id: true },
        order: { createdAt: "ASC" },
        take: limit,
      });
      return rows.map((row) => row.id);
    },
    claim: async (id) => {
      if (!id) throw new Error("claim needs a deferred work id");
      const deleted = await em.delete(DeferredWorkEntity, { id });
      // A driver that does not report the count leaves `affected` unset: only a 0 is a lost race.
      return deleted.affected !== 0;
    },
  };
}
