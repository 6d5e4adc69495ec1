// Sessions and the chain of their refresh tokens. The claims are conditional UPDATEs: of two
// concurrent callers, exactly one sees `true`.
import { type EntityManager, IsNull } from "typeorm";
import type { RefreshTokenRepository, SessionRepository } from "../../domain/persistence.js";
import { RefreshTokenEntity } from "../entities/refresh-token.js";
import { SessionEntity } from "../entities/session.js";
import { findOneStrict, findStrict } from "../guard.js";
import { pageBy } from "../keyset.js";
import { RevocationChannel } from "../revocation-channel.js";

export function sessionRepository(em: EntityManager): SessionRepository {
  return {
    insert: async (session) => {
      await em.insert(SessionEntity, session);
    },
    findById: (id) => findOneStrict(em, SessionEntity, { id }),
    findOfUser: (userId, id) => findOneStrict(em, SessionEntity, { id, userId }),
    listUnrevoked: (userId) =>
      findStrict(em, SessionEntity, { userId, revokedAt: IsNull() }, { createdAt: "DESC" }),
    pageOfUser: (userId, query, live) => {
      if (!userId) throw new Error("pageOfUser needs a user id");
      const qb = em
        .createQueryBuilder(SessionEntity, "s")
        .where("s.user_id = :userId AND s.revoked_at IS NULL", { userId })
        .andWhere("s.expires_at > :now AND s.last_used_at > :usedAfter", live);
      return pageBy(qb, "s", query).getMany();
    },
    revoke: async (id, at, reason) => {
      if (!id) throw new Error("revoke needs a session id");
      await em.update(SessionEntity, { id }, { revokedAt: at, revokeReason: reason });
    },
    noteLastUse: async (uses) => {
      for (const [id, at] of uses) {
        await em
          .createQueryBuilder()
          .update(SessionEntity)
          .set({ lastUsedAt: at })
          .where("id = :id AND last_used_at < :at", { id, at })
          .execute();
      }
    },
    announceRevoked: (ids) => RevocationChannel.publish(em, ids),
  };
}

export function refreshTokenRepository(em: EntityManager): RefreshTokenRepository {
  return {
    insert: async (token) => {
      await em.insert(RefreshTokenEntity, token);
    },
    findByHash: (tokenHash) => findOneStrict(em, RefreshTokenEntity, { tokenHash }),
    findById: (id) => findOneStrict(em, RefreshTokenEntity, { id }),
    claimRotation: async (id, at, successorId, liveSessionId) => {
      const live =
        liveSessionId === undefined
          ? ""
          : " AND EXISTS (SELECT 1 FROM sessions WHERE sessions.id = :sessionId AND sessions.revoked_at IS NULL)";
      const claimed = await em
        .createQueryBuilder()
        .update(RefreshTokenEntity)
        .set({ rotatedAt: at, replacedBy: successorId })
        .where(`id = :id AND rotated_at IS NULL${live}`, { id, sessionId: liveSessionId })
        .execute();
      return claimed.affected === 1;
    },
    claimGrace: async (id, at) => {
      const claimed = await em
        .createQueryBuilder()
        .update(RefreshTokenEntity)
        .set({ graceUsedAt: at })
        .where("id = :id AND grace_used_at IS NULL", { id })
        .execute();
      return claimed.affected === 1;
    },
  };
}
