// Sessions and their refresh tokens. A session has an absolute end (the requested lifetime capped by
// AUTHD_SESSION_MAX_TTL) and an idle timeout. Its refresh token is opaque (256 bits), stored only as a
// SHA-256, and rotated on every Refresh; the chain of rotated tokens is kept so that presenting an
// already-rotated token revokes the whole session (RFC 9700 §4.14.2). The one exception: the token
// rotated last may be presented once more within AUTHD_REFRESH_REUSE_GRACE seconds (two tabs
// refreshing at once); that answers a fresh pair and leaves the other tab's token valid.
import { randomUUID } from "node:crypto";
import { type EntityManager, IsNull, Not } from "typeorm";
import type { Clock } from "../clock.js";
import type { Config } from "../config.js";
import { RefreshTokenEntity } from "../store/entities/refresh-token.js";
import { SessionEntity } from "../store/entities/session.js";
import { UserEntity } from "../store/entities/user.js";
import { findOneStrict, findStrict } from "../store/guard.js";
import type { Store } from "../store/store.js";
import type { AccessTokens } from "./access-tokens.js";
import type { ApiKeys } from "./api-keys.js";
import { recordAudit } from "./audit.js";
import { invalidArgument, notFound, unauthenticated } from "./errors.js";
import type { ClientInfo, IssuedTokens, NewSession, SessionIssuer } from "./ports.js";
import { hashSecret, randomToken } from "./secrets.js";

/** last_used_at is written at most this often, so authenticated traffic does not write on every call. */
const LAST_USED_WRITE_MS = 60_000;
const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface SessionView {
  id: string;
  userId: string;
  amr: string[];
  ip: string;
  userAgent: string;
  createdAt: number;
  lastUsedAt: number;
  expiresAt: number;
  idleExpiresAt: number;
}

type RefreshOutcome = { kind: "ok"; tokens: IssuedTokens } | { kind: "invalid" } | { kind: "reused" };

export type SessionConfig = Pick<
  Config,
  "sessionTtlSeconds" | "sessionMaxTtlSeconds" | "sessionIdleTimeoutSeconds" | "refreshReuseGraceSeconds"
>;

export class Sessions implements SessionIssuer {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly config: SessionConfig,
    private readonly accessTokens: AccessTokens,
    private readonly apiKeys: ApiKeys,
  ) {}

  async create(em: EntityManager, input: NewSession): Promise<IssuedTokens> {
    const now = this.clock.now();
    const requested = input.durationSeconds ?? this.config.sessionTtlSeconds;
    if (!Number.isFinite(requested) || requested <= 0) {
      throw invalidArgument("session_duration", "must be a positive duration");
    }
    const seconds = Math.min(requested, this.config.sessionMaxTtlSeconds);
    const session = em.create(SessionEntity, {
      id: randomUUID(),
      userId: input.userId,
      amr: input.amr,
      ip: input.client.ip.slice(0, 64),
      userAgent: input.client.userAgent.slice(0, 512),
      createdAt: now,
      lastUsedAt: now,
      expiresAt: now + Math.floor(seconds * 1000),
      revokedAt: null,
      revokeReason: null,
    });
    await em.save(session);
    const user = await findOneStrict(em, UserEntity, { id: input.userId });
    if (!user) throw new Error("session for a user that does not exist");
    return this.issue(em, session, user);
  }

  /** Exchanges a refresh token for a new pair, rotating it. Unauthenticated when it is not usable. */
  async refresh(refreshToken: string, client: ClientInfo): Promise<IssuedTokens> {
    if (refreshToken === "") throw invalidArgument("refresh_token", "is required");
    const tokenHash = hashSecret(refreshToken);
    // A reuse revokes the session; that must commit, so the error is thrown after the transaction.
    const outcome = await this.store.transaction((em) => this.rotate(em, tokenHash, client));
    if (outcome.kind === "ok") return outcome.tokens;
    throw unauthenticated(
      outcome.kind === "reused"
        ? "refresh token reused: the session was revoked"
        : "invalid or expired refresh token",
    );
  }

  /**
   * The session behind an access token, when it is still active; bumps its last use. Called for
   * every authenticated request, so a revoked or expired session's tokens stop working at once.
   */
  async authenticate(sessionId: string, userId: string): Promise<SessionEntity | null> {
    if (!SESSION_ID.test(sessionId)) return null;
    const now = this.clock.now();
    return this.store.transaction(async (em) => {
      const session = await findOneStrict(em, SessionEntity, { id: sessionId });
      if (!session || session.userId !== userId || !this.isActive(session, now)) return null;
      if (now - session.lastUsedAt >= LAST_USED_WRITE_MS) {
        session.lastUsedAt = now;
        await em.update(SessionEntity, { id: sessionId }, { lastUsedAt: now });
      }
      return session;
    });
  }

  /** Whether the session may still be used at `now`. */
  isActive(session: SessionEntity, now = this.clock.now()): boolean {
    return (
      session.revokedAt === null &&
      now < session.expiresAt &&
      now < session.lastUsedAt + this.config.sessionIdleTimeoutSeconds * 1000
    );
  }

  async get(userId: string, sessionId: string): Promise<SessionView> {
    const session = await this.store.transaction((em) =>
      findOneStrict(em, SessionEntity, { id: sessionId, userId }),
    );
    if (!session || !this.isActive(session)) throw notFound("session not found");
    return this.view(session);
  }

  /** The user's active sessions, newest first. */
  async list(userId: string): Promise<SessionView[]> {
    const now = this.clock.now();
    const rows = await this.store.transaction((em) =>
      findStrict(em, SessionEntity, { userId, revokedAt: IsNull() }, { createdAt: "DESC" }),
    );
    return rows.filter((s) => this.isActive(s, now)).map((s) => this.view(s));
  }

  /** Revokes one of the user's sessions; revoking an ended session changes nothing. */
  async revoke(userId: string, sessionId: string, client: ClientInfo): Promise<void> {
    if (sessionId === "") throw invalidArgument("session_id", "is required");
    if (!SESSION_ID.test(sessionId)) throw invalidArgument("session_id", "is not a session id");
    const now = this.clock.now();
    await this.store.transaction(async (em) => {
      const session = await findOneStrict(em, SessionEntity, { id: sessionId, userId });
      if (!session) throw notFound("session not found");
      if ((await this.revokeOne(em, userId, sessionId, "revoked")) === 1) {
        await recordAudit(em, now, "session.revoked", userId, client, { sessionId });
      }
    });
  }

  /** Revokes one session of the user in the caller's transaction; answers 1 if it was active. */
  async revokeOne(em: EntityManager, userId: string, sessionId: string, reason: string): Promise<number> {
    const session = await findOneStrict(em, SessionEntity, { id: sessionId, userId });
    if (!session || !this.isActive(session)) return 0;
    await em.update(SessionEntity, { id: sessionId }, { revokedAt: this.clock.now(), revokeReason: reason });
    return 1;
  }

  async revokeAll(em: EntityManager, userId: string, exceptSessionId?: string): Promise<number> {
    if (!userId) throw new Error("revokeAll needs a user id");
    const now = this.clock.now();
    const where =
      exceptSessionId === undefined
        ? { userId, revokedAt: IsNull() }
        : { userId, revokedAt: IsNull(), id: Not(exceptSessionId) };
    const sessions = await findStrict(em, SessionEntity, where);
    const active = sessions.filter((s) => this.isActive(s, now));
    for (const session of active) {
      await em.update(SessionEntity, { id: session.id }, { revokedAt: now, revokeReason: "revoked_all" });
    }
    return active.length;
  }

  revokeApiKeys(em: EntityManager, userId: string): Promise<void> {
    return this.apiKeys.revokeAll(em, userId);
  }

  view(session: SessionEntity): SessionView {
    return {
      id: session.id,
      userId: session.userId,
      amr: session.amr,
      ip: session.ip,
      userAgent: session.userAgent,
      createdAt: session.createdAt,
      lastUsedAt: session.lastUsedAt,
      expiresAt: session.expiresAt,
      idleExpiresAt: Math.min(
        session.expiresAt,
        session.lastUsedAt + this.config.sessionIdleTimeoutSeconds * 1000,
      ),
    };
  }

  private async rotate(em: EntityManager, tokenHash: string, client: ClientInfo): Promise<RefreshOutcome> {
    const now = this.clock.now();
    const row = await findOneStrict(em, RefreshTokenEntity, { tokenHash });
    if (!row) return { kind: "invalid" };
    const session = await findOneStrict(em, SessionEntity, { id: row.sessionId });
    if (!session || !this.isActive(session, now)) return { kind: "invalid" };
    const user = await findOneStrict(em, UserEntity, { id: session.userId });
    if (user?.status !== "active") return { kind: "invalid" };

    if (row.rotatedAt === null) {
      // Conditional update: of two concurrent refreshes with one token, only one rotates it.
      const successorId = randomUUID();
      const claimed = await em
        .createQueryBuilder()
        .update(RefreshTokenEntity)
        .set({ rotatedAt: now, replacedBy: successorId })
        .where("id = :id AND rotated_at IS NULL", { id: row.id })
        .execute();
      if (claimed.affected === 1)
        return { kind: "ok", tokens: await this.issue(em, session, user, successorId) };
      const reread = await findOneStrict(em, RefreshTokenEntity, { id: row.id });
      if (!reread || reread.rotatedAt === null) return { kind: "invalid" };
      return this.reuse(em, reread, session, user, now, client);
    }
    return this.reuse(em, row, session, user, now, client);
  }

  /** A rotated token was presented again: the grace case, or theft. */
  private async reuse(
    em: EntityManager,
    row: RefreshTokenEntity,
    session: SessionEntity,
    user: UserEntity,
    now: number,
    client: ClientInfo,
  ): Promise<RefreshOutcome> {
    const rotatedAt = row.rotatedAt ?? now;
    const successor = row.replacedBy
      ? await findOneStrict(em, RefreshTokenEntity, { id: row.replacedBy })
      : null;
    // A grace of 0 means none, even for a second presentation within the same millisecond.
    const inGrace =
      this.config.refreshReuseGraceSeconds > 0 &&
      now - rotatedAt <= this.config.refreshReuseGraceSeconds * 1000 &&
      row.graceUsedAt === null &&
      successor !== null &&
      successor.rotatedAt === null;
    if (inGrace) {
      const claimed = await em
        .createQueryBuilder()
        .update(RefreshTokenEntity)
        .set({ graceUsedAt: now })
        .where("id = :id AND grace_used_at IS NULL", { id: row.id })
        .execute();
      if (claimed.affected === 1) return { kind: "ok", tokens: await this.issue(em, session, user) };
    }
    await em.update(
      SessionEntity,
      { id: session.id },
      { revokedAt: now, revokeReason: "refresh_token_reused" },
    );
    await recordAudit(em, now, "refresh_token.reused", session.userId, client, {
      sessionId: session.id,
    });
    return { kind: "reused" };
  }

  /** A new refresh token (a link of the chain) and a new access token for the session. */
  private async issue(
    em: EntityManager,
    session: SessionEntity,
    user: UserEntity,
    refreshId: string = randomUUID(),
  ): Promise<IssuedTokens> {
    const now = this.clock.now();
    const refreshToken = randomToken(32);
    await em.insert(RefreshTokenEntity, {
      id: refreshId,
      sessionId: session.id,
      tokenHash: hashSecret(refreshToken),
      createdAt: now,
      rotatedAt: null,
      replacedBy: null,
      graceUsedAt: null,
    });
    if (session.lastUsedAt !== now) await em.update(SessionEntity, { id: session.id }, { lastUsedAt: now });
    const access = await this.accessTokens.sign(
      {
        userId: user.id,
        sessionId: session.id,
        amr: session.amr,
        tenantId: user.tenantId,
        roles: user.roles,
        notAfter: session.expiresAt,
      },
      em,
    );
    return {
      sessionId: session.id,
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      refreshToken,
      refreshTokenExpiresAt: session.expiresAt,
    };
  }
}
