// Sessions and the chain of their refresh tokens. The claims are conditional UPDATEs: of two
// concurrent callers, exactly one sees `true`.
import { type EntityManager, IsNull } from "typeorm";
import type { RefreshTokenRepository, RotationContext, SessionRepository } from "../../domain/persistence.js";
import { RefreshTokenEntity } from "../entities/refresh-token.js";
import { SessionEntity } from "../entities/session.js";
import { findOneStrict, findStrict } from "../guard.js";
import { pageBy } from "../keyset.js";
import { affectedRows, placeholders, queryReturning } from "../raw-sql.js";
import { RevocationChannel } from "../revocation-channel.js";

export function sessionRepository(em: EntityManager): SessionRepository {
  return {
    // Raw SQL: TypeORM's insert reads the row back afterwards (for the columns with defaults), a
    // second statement on every sign-in that nothing uses.
    insert: async (session) => {
      const p = placeholders(em);
      await em.query(
        `INSERT INTO sessions (id, user_id, amr, ip, user_agent, created_at, last_used_at, expires_at, revoked_at, revoke_reason) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)}, ${p(8)}, ${p(9)}, ${p(10)})`,
        [
          session.id,
          session.userId,
          JSON.stringify(session.amr),
          session.ip,
          session.userAgent,
          session.createdAt,
          session.lastUsedAt,
          session.expiresAt,
          session.revokedAt,
          session.revokeReason,
        ],
      );
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
    revokeAllOfTenant: async (tenantId, at, reason) => {
      if (!tenantId) throw new Error("revokeAllOfTenant needs a tenant id");
      const p = placeholders(em);
      // One statement however large the tenant: a loop over its users would hold SQLite's one
      // write transaction (every other write waits) for as long as the loop runs.
      const rows = await queryReturning<{ id: string }>(
        em,
        `UPDATE sessions SET revoked_at = ${p(1)}, revoke_reason = ${p(2)} WHERE revoked_at IS NULL AND user_id IN (SELECT id FROM users WHERE tenant_id = ${p(3)}) RETURNING id`,
        [at, reason, tenantId],
      );
      return rows.map((row) => row.id);
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
    // Raw SQL for the two writes of every refresh, like its read below (TypeORM's insert and update
    // builders cost more CPU than the statements).
    insert: async (token) => {
      const p = placeholders(em);
      await em.query(
        `INSERT INTO refresh_tokens (id, session_id, token_hash, created_at, rotated_at, replaced_by, grace_used_at) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)})`,
        [
          token.id,
          token.sessionId,
          token.tokenHash,
          token.createdAt,
          token.rotatedAt,
          token.replacedBy,
          token.graceUsedAt,
        ],
      );
    },
    findByHash: (tokenHash) => findOneStrict(em, RefreshTokenEntity, { tokenHash }),
    findForRotation: async (tokenHash) => {
      if (!tokenHash) throw new Error("findForRotation needs a token hash");
      const param = em.connection.options.type === "postgres" ? "$1" : "?";
      const rows: RotationRow[] = await em.query(`${ROTATION_SELECT} WHERE r.token_hash = ${param}`, [
        tokenHash,
      ]);
      const row = rows[0];
      return row ? rotationContext(row) : null;
    },
    findById: (id) => findOneStrict(em, RefreshTokenEntity, { id }),
    claimRotation: async (id, at, successorId, liveSessionId) => {
      const p = placeholders(em);
      const live =
        liveSessionId === undefined
          ? ""
          : ` AND EXISTS (SELECT 1 FROM sessions WHERE sessions.id = ${p(4)} AND sessions.revoked_at IS NULL)`;
      const params =
        liveSessionId === undefined ? [at, successorId, id] : [at, successorId, id, liveSessionId];
      return (
        (await affectedRows(
          em,
          `UPDATE refresh_tokens SET rotated_at = ${p(1)}, replaced_by = ${p(2)} WHERE id = ${p(3)} AND rotated_at IS NULL${live}`,
          params,
        )) === 1
      );
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

// Raw SQL on purpose: this is the one read of every refresh, and TypeORM's query building and
// hydration of four entities (the whole users row among them) cost more CPU than the query itself.
// Aliases are lower-case so PostgreSQL answers them as written.
const ROTATION_SELECT = `SELECT
  r.id AS r_id, r.session_id AS r_session_id, r.token_hash AS r_token_hash, r.created_at AS r_created_at,
  r.rotated_at AS r_rotated_at, r.replaced_by AS r_replaced_by, r.grace_used_at AS r_grace_used_at,
  s.user_id AS s_user_id, s.amr AS s_amr, s.ip AS s_ip, s.user_agent AS s_user_agent,
  s.created_at AS s_created_at, s.last_used_at AS s_last_used_at, s.expires_at AS s_expires_at,
  s.revoked_at AS s_revoked_at, s.revoke_reason AS s_revoke_reason,
  u.email AS u_email, u.password_hash AS u_password_hash, u.status AS u_status,
  u.tenant_id AS u_tenant_id, u.roles AS u_roles, t.status AS t_status
FROM refresh_tokens r
JOIN sessions s ON s.id = r.session_id
JOIN users u ON u.id = s.user_id
LEFT JOIN tenants t ON t.id = u.tenant_id`;

type Millis = number | string; // pg answers BIGINT as a string
interface RotationRow {
  r_id: string;
  r_session_id: string;
  r_token_hash: string;
  r_created_at: Millis;
  r_rotated_at: Millis | null;
  r_replaced_by: string | null;
  r_grace_used_at: Millis | null;
  s_user_id: string;
  s_amr: string;
  s_ip: string;
  s_user_agent: string;
  s_created_at: Millis;
  s_last_used_at: Millis;
  s_expires_at: Millis;
  s_revoked_at: Millis | null;
  s_revoke_reason: string | null;
  u_email: string;
  u_password_hash: string;
  u_status: string;
  u_tenant_id: string | null;
  u_roles: string | null;
  t_status: string | null;
}

const millisOrNull = (value: Millis | null) => (value === null ? null : Number(value));

function rotationContext(row: RotationRow): RotationContext {
  return {
    token: {
      id: row.r_id,
      sessionId: row.r_session_id,
      tokenHash: row.r_token_hash,
      createdAt: Number(row.r_created_at),
      rotatedAt: millisOrNull(row.r_rotated_at),
      replacedBy: row.r_replaced_by,
      graceUsedAt: millisOrNull(row.r_grace_used_at),
    },
    session: {
      id: row.r_session_id,
      userId: row.s_user_id,
      amr: JSON.parse(row.s_amr) as string[],
      ip: row.s_ip,
      userAgent: row.s_user_agent,
      createdAt: Number(row.s_created_at),
      lastUsedAt: Number(row.s_last_used_at),
      expiresAt: Number(row.s_expires_at),
      revokedAt: millisOrNull(row.s_revoked_at),
      revokeReason: row.s_revoke_reason,
    },
    user: {
      id: row.s_user_id,
      email: row.u_email,
      passwordHash: row.u_password_hash,
      status: row.u_status,
      tenantId: row.u_tenant_id,
      roles: row.u_roles === null ? [] : (JSON.parse(row.u_roles) as string[]),
    },
    tenantStatus: row.t_status,
  };
}
