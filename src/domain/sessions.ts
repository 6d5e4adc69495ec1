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
import { type CachedSession, SessionCache } from "./session-cache.js";
import { LastUseWriter } from "./session-last-use.js";

/** last_used_at is written at most this often per session, so authenticated traffic rarely writes. */
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

/** What an authenticated request learns about its session. */
export interface ActiveSession {
  id: string;
  userId: string;
  expiresAt: number;
}

/**
 * How revocations reach other replicas: called inside the revoking transaction, so the message goes
 * out only if it commits (PostgreSQL NOTIFY). A single SQLite process has no one to tell.
 */
export type RevocationPublisher = (em: EntityManager, sessionIds: string[]) => Promise<void>;

export interface SessionStateOptions {
  cache?: SessionCache;
  publishRevocations?: RevocationPublisher;
  logger?: ConstructorParameters<typeof LastUseWriter>[1];
}

type RefreshOutcome = { kind: "ok"; tokens: IssuedTokens } | { kind: "invalid" } | { kind: "reused" };

export type SessionConfig = Pick<
  Config,
  "sessionTtlSeconds" | "sessionMaxTtlSeconds" | "sessionIdleTimeoutSeconds" | "refreshReuseGraceSeconds"
>;

export class Sessions implements SessionIssuer {
  /** Session state for the per-request token check; see session-cache.ts for how it stays true. */
  private readonly cache: SessionCache;
  private readonly lastUse: LastUseWriter;
  private readonly publishRevocations: RevocationPublisher;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly config: SessionConfig,
    private readonly accessTokens: AccessTokens,
    private readonly apiKeys: ApiKeys,
    state: SessionStateOptions = {},
  ) {
    this.cache = state.cache ?? new SessionCache();
    this.publishRevocations = state.publishRevocations ?? (async () => undefined);
    this.lastUse = new LastUseWriter(store, state.logger);
    this.lastUse.start();
  }

  /** Writes the last-use times still in memory; call at shutdown. */
  close(): Promise<void> {
    return this.lastUse.stop();
  }

  /** Another replica revoked these sessions (its notification arrived). */
  forgetRevoked(sessionIds: string[]): void {
    this.cache.forget(sessionIds);
  }

  /** Revocations may have been missed (the notification channel reconnected): read everything again. */
  forgetAll(): void {
    this.cache.clear();
  }

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
    const rotated = await this.rotateUnrotated(tokenHash);
    if (rotated) return rotated;
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
   * The session behind an access token, when it is still active; notes its last use. Called for
   * every authenticated request: answered from memory (session-cache.ts), so a revocation on this
   * replica applies at once and one on another replica within REVOCATION_BOUND_MS.
   */
  async authenticate(sessionId: string, userId: string): Promise<ActiveSession | null> {
    if (!SESSION_ID.test(sessionId)) return null;
    const now = this.clock.now();
    let state = this.cache.get(sessionId);
    // Idle here may not be idle everywhere: another replica may have used it since. Read again.
    if (state && !state.revoked && now < state.expiresAt && !this.usable(state, now)) state = undefined;
    state ??= (await this.load(sessionId)) ?? undefined;
    if (!state || state.userId !== userId || !this.usable(state, now)) return null;
    if (now > state.lastUsedAt) state.lastUsedAt = now;
    if (now - state.storedLastUsedAt >= LAST_USED_WRITE_MS) {
      state.storedLastUsedAt = now;
      this.lastUse.note(sessionId, now);
    }
    return { id: sessionId, userId, expiresAt: state.expiresAt };
  }

  private usable(state: CachedSession, now: number): boolean {
    return (
      !state.revoked &&
      now < state.expiresAt &&
      now < state.lastUsedAt + this.config.sessionIdleTimeoutSeconds * 1000
    );
  }

  private async load(sessionId: string): Promise<CachedSession | null> {
    const snapshot = this.cache.snapshot();
    const row = await this.store.read((em) => findOneStrict(em, SessionEntity, { id: sessionId }));
    if (!row) return null;
    const state: CachedSession = {
      userId: row.userId,
      expiresAt: row.expiresAt,
      revoked: row.revokedAt !== null,
      lastUsedAt: this.lastUsedAt(row),
      storedLastUsedAt: row.lastUsedAt,
      loadedAt: performance.now(),
    };
    this.cache.put(sessionId, state, snapshot);
    return state;
  }

  /** The latest use known here: the stored time, or a later one noted in memory. */
  private lastUsedAt(session: SessionEntity): number {
    return Math.max(
      session.lastUsedAt,
      this.lastUse.pendingFor(session.id) ?? 0,
      this.cache.peek(session.id)?.lastUsedAt ?? 0,
    );
  }

  /** Notes a use of the session (written in the next batch). */
  private used(sessionId: string, now: number): void {
    const cached = this.cache.peek(sessionId);
    if (cached && now > cached.lastUsedAt) cached.lastUsedAt = now;
    this.lastUse.note(sessionId, now);
  }

  /**
   * The sessions were revoked in `em`'s transaction: forget their cached state now and once the
   * transaction settles (a read in between may cache the pre-commit state), and tell the other
   * replicas when it commits. Every revocation goes through here.
   */
  private async revoked(em: EntityManager, sessionIds: string[]): Promise<void> {
    if (sessionIds.length === 0) return;
    this.cache.forget(sessionIds);
    this.store.afterTransaction(() => this.cache.forget(sessionIds));
    await this.publishRevocations(em, sessionIds);
  }

  /** Whether the session may still be used at `now`. */
  isActive(session: SessionEntity, now = this.clock.now()): boolean {
    return (
      session.revokedAt === null &&
      now < session.expiresAt &&
      now < this.lastUsedAt(session) + this.config.sessionIdleTimeoutSeconds * 1000
    );
  }

  async get(userId: string, sessionId: string): Promise<SessionView> {
    const session = await this.store.read((em) =>
      findOneStrict(em, SessionEntity, { id: sessionId, userId }),
    );
    if (!session || !this.isActive(session)) throw notFound("session not found");
    return this.view(session);
  }

  /** The user's active sessions, newest first. */
  async list(userId: string): Promise<SessionView[]> {
    const now = this.clock.now();
    const rows = await this.store.read((em) =>
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
    await this.revoked(em, [sessionId]);
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
    await this.revoked(
      em,
      active.map((s) => s.id),
    );
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
      lastUsedAt: this.lastUsedAt(session),
      expiresAt: session.expiresAt,
      idleExpiresAt: Math.min(
        session.expiresAt,
        this.lastUsedAt(session) + this.config.sessionIdleTimeoutSeconds * 1000,
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

  /**
   * The common case of a refresh (a current token of an active session), with the reads before the
   * write transaction and the signature after it, so the transaction is two statements. The claim
   * re-checks in the database what the reads saw and could have changed since: the token is still
   * unrotated and the session still unrevoked (revoking a user's sessions is how deactivation and
   * password resets end them). Null when anything is unusual: `rotate` then decides, in one
   * transaction.
   */
  private async rotateUnrotated(tokenHash: string): Promise<IssuedTokens | null> {
    const now = this.clock.now();
    const found = await this.store.read(async (em) => {
      const row = await findOneStrict(em, RefreshTokenEntity, { tokenHash });
      if (!row || row.rotatedAt !== null) return null;
      const session = await findOneStrict(em, SessionEntity, { id: row.sessionId });
      if (!session || !this.isActive(session, now)) return null;
      const user = await findOneStrict(em, UserEntity, { id: session.userId });
      return user?.status === "active" ? { row, session, user } : null;
    });
    if (!found) return null;
    const { row, session, user } = found;
    const successor = this.newRefreshToken(session.id, now);
    const claimed = await this.store.transaction(async (em) => {
      const claim = await em
        .createQueryBuilder()
        .update(RefreshTokenEntity)
        .set({ rotatedAt: now, replacedBy: successor.row.id })
        .where(
          "id = :id AND rotated_at IS NULL AND EXISTS " +
            "(SELECT 1 FROM sessions WHERE sessions.id = :sessionId AND sessions.revoked_at IS NULL)",
          { id: row.id, sessionId: session.id },
        )
        .execute();
      if (claim.affected !== 1) return false;
      await em.insert(RefreshTokenEntity, successor.row);
      return true;
    });
    if (!claimed) return null;
    this.used(session.id, now);
    return this.tokensFor(session, user, successor.token);
  }

  private newRefreshToken(sessionId: string, now: number, id: string = randomUUID()) {
    const token = randomToken(32);
    const row = {
      id,
      sessionId,
      tokenHash: hashSecret(token),
      createdAt: now,
      rotatedAt: null,
      replacedBy: null,
      graceUsedAt: null,
    };
    return { token, row };
  }

  /** Signs an access token for the session (`em`: the caller's transaction, if any). */
  private async tokensFor(
    session: SessionEntity,
    user: UserEntity,
    refreshToken: string,
    em?: EntityManager,
  ): Promise<IssuedTokens> {
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
    await this.revoked(em, [session.id]);
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
    const successor = this.newRefreshToken(session.id, now, refreshId);
    await em.insert(RefreshTokenEntity, successor.row);
    if (session.lastUsedAt !== now) this.used(session.id, now);
    return this.tokensFor(session, user, successor.token, em);
  }
}
