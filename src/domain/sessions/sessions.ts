// Sessions and their refresh tokens. A session has an absolute end (the requested lifetime capped by
// AUTHD_SESSION_MAX_TTL) and an idle timeout. Its refresh token is opaque (256 bits), stored only as a
// SHA-256, and rotated on every Refresh; the chain of rotated tokens is kept so that presenting an
// already-rotated token revokes the whole session (RFC 9700 §4.14.2). The one exception: the token
// rotated last may be presented once more within AUTHD_REFRESH_REUSE_GRACE seconds (two tabs
// refreshing at once); that answers a fresh pair and leaves the other tab's token valid.
import { randomUUID } from "node:crypto";
import type { Clock } from "../../clock.js";
import { invalidArgument, notFound, unauthenticated, withReason } from "../errors.js";
import { keysetQuery, type Page, type PageRequest, toPage } from "../paging.js";
import type { RefreshTokenRecord, SessionRecord, SessionRepositories, UserRecord } from "../persistence.js";
import type { ClientInfo, IssuedTokens, NewSession, SessionIssuer } from "../ports.js";
import { hashSecret, randomToken } from "../secrets.js";
import { statusAdmits, tenantAdmits, tenantAdmitsNewSession, tenantSuspended } from "../tenants/gate.js";
import { commit, commitThenFail, type Outcome, type Transaction, type UnitOfWork } from "../unit-of-work.js";
import type { AccessTokens } from "./access-tokens.js";
import { type CachedSession, SessionCache } from "./session-cache.js";
import { LastUseWriter } from "./session-last-use.js";

/** last_used_at is written at most this often per session, so authenticated traffic rarely writes. */
const LAST_USED_WRITE_MS = 60_000;
const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A live session as its owner sees it: the stored record without revocation, plus when it idles out. */
export type SessionView = Omit<SessionRecord, "revokedAt" | "revokeReason"> & { idleExpiresAt: number };

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
export type RevocationPublisher = (
  tx: Transaction<SessionRepositories>,
  sessionIds: string[],
) => Promise<void>;

export interface SessionStateOptions {
  cache?: SessionCache;
  publishRevocations?: RevocationPublisher;
  logger?: ConstructorParameters<typeof LastUseWriter>[1];
}

/** One message for every refused refresh token; the reason tells its holder what to do next. */
const invalidRefreshToken = (
  reason: "TOKEN_INVALID" | "TOKEN_EXPIRED" | "SESSION_REVOKED" = "TOKEN_INVALID",
) => withReason(reason, unauthenticated("invalid or expired refresh token"));

/** The session settings (AUTHD_SESSION_TTL, _MAX_TTL, _IDLE_TIMEOUT, AUTHD_REFRESH_REUSE_GRACE). */
export interface SessionConfig {
  sessionTtlSeconds: number;
  sessionMaxTtlSeconds: number;
  sessionIdleTimeoutSeconds: number;
  refreshReuseGraceSeconds: number;
}

export class Sessions implements SessionIssuer {
  /** Session state for the per-request token check; see session-cache.ts for how it stays true. */
  private readonly cache: SessionCache;
  private readonly lastUse: LastUseWriter;
  private readonly publishRevocations: RevocationPublisher;

  constructor(
    private readonly uow: UnitOfWork<SessionRepositories>,
    private readonly clock: Clock,
    private readonly config: SessionConfig,
    private readonly accessTokens: AccessTokens,
    state: SessionStateOptions = {},
  ) {
    this.cache = state.cache ?? new SessionCache();
    this.publishRevocations = state.publishRevocations ?? (async () => undefined);
    this.lastUse = new LastUseWriter(uow, state.logger);
  }

  /** Writes the last uses noted since the last call (a periodic job: session-last-use.ts). */
  writeLastUses(): Promise<void> {
    return this.lastUse.flush();
  }

  /** Writes the last-use times still in memory; call at shutdown. */
  close(): Promise<void> {
    return this.lastUse.close();
  }

  /** Another replica revoked these sessions (its notification arrived). */
  forgetRevoked(sessionIds: string[]): void {
    this.cache.forget(sessionIds);
  }

  /** Revocations may have been missed (the notification channel reconnected): read everything again. */
  forgetAll(): void {
    this.cache.clear();
  }

  async create(tx: Transaction<SessionRepositories>, input: NewSession): Promise<IssuedTokens> {
    const now = this.clock.now();
    const requested = input.durationSeconds ?? this.config.sessionTtlSeconds;
    if (!Number.isFinite(requested) || requested <= 0) {
      throw invalidArgument("session_duration", "must be a positive duration");
    }
    const seconds = Math.min(requested, this.config.sessionMaxTtlSeconds);
    const session: SessionRecord = {
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
    };
    const user = await tx.users.findById(input.userId);
    if (!user) throw new Error("session for a user that does not exist");
    // The tenant before the session's row, which refers to the account (the lock order of
    // TenantUserRepository.lock): a deletion of the account holding the tenant is waited for.
    if (!(await tenantAdmitsNewSession(tx, user.tenantId))) throw tenantSuspended();
    await tx.sessions.insert(session);
    // Every successful sign-in (password, provider, the second factor that completes one) makes a
    // session here, so this is the one place that records it.
    await tx.users.recordSignIn(user.id, now);
    return this.issue(tx, session, user);
  }

  /** Exchanges a refresh token for a new pair, rotating it. Unauthenticated when it is not usable. */
  async refresh(refreshToken: string, client: ClientInfo): Promise<IssuedTokens> {
    if (refreshToken === "") throw invalidArgument("refresh_token", "is required");
    const tokenHash = hashSecret(refreshToken);
    const rotated = await this.rotateUnrotated(tokenHash);
    if (rotated) return rotated;
    // A reuse revokes the session; that must commit, so the error is thrown after the transaction.
    return this.uow.run((tx) => this.rotate(tx, tokenHash, client));
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
    const row = await this.uow.read((reads) => reads.sessions.findById(sessionId));
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
  private lastUsedAt(session: SessionRecord): number {
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
   * Revokes the sessions in `tx`: forgets their cached state now and once the transaction settles
   * (a read in between may cache the pre-commit state), and tells the other replicas when it
   * commits. Every revocation goes through here.
   */
  private async revokeIn(
    tx: Transaction<SessionRepositories>,
    sessionIds: string[],
    now: number,
    reason: string,
  ): Promise<void> {
    if (sessionIds.length === 0) return;
    for (const id of sessionIds) await tx.sessions.revoke(id, now, reason);
    await this.revoked(tx, sessionIds);
  }

  /**
   * After revoking in `tx`: this replica's cache forgets the sessions at once and again when the
   * transaction settles, and the other replicas are told when it commits.
   */
  private async revoked(tx: Transaction<SessionRepositories>, sessionIds: string[]): Promise<void> {
    if (sessionIds.length === 0) return;
    this.cache.forget(sessionIds);
    this.uow.afterTransaction(() => this.cache.forget(sessionIds));
    await this.publishRevocations(tx, sessionIds);
  }

  /** Whether the session may still be used at `now`. */
  isActive(session: SessionRecord, now = this.clock.now()): boolean {
    return (
      session.revokedAt === null &&
      now < session.expiresAt &&
      now < this.lastUsedAt(session) + this.config.sessionIdleTimeoutSeconds * 1000
    );
  }

  /** How a session of the user that no longer authenticates ended; null when there is no such session. */
  async ending(sessionId: string, userId: string): Promise<"revoked" | "expired" | null> {
    if (!SESSION_ID.test(sessionId)) return null;
    const session = await this.uow.read((reads) => reads.sessions.findOfUser(userId, sessionId));
    if (!session) return null;
    return session.revokedAt !== null ? "revoked" : "expired";
  }

  /** One of the user's active sessions; another user's session answers not_found, like an unknown one. */
  async get(userId: string, sessionId: string): Promise<SessionView> {
    if (!SESSION_ID.test(sessionId)) throw invalidArgument("session_id", "is not a session id");
    const session = await this.uow.read((reads) => reads.sessions.findOfUser(userId, sessionId));
    if (!session || !this.isActive(session)) throw notFound("session not found");
    return this.view(session);
  }

  /**
   * One page of the user's active sessions, newest first. The database rules out revoked, ended and
   * long-idle sessions; the exact idle rule (which sees uses not yet written) is applied here.
   */
  async listPage(userId: string, request: PageRequest): Promise<Page<SessionView>> {
    const query = keysetQuery("sessions", request);
    const now = this.clock.now();
    // Uses are written at most every LAST_USED_WRITE_MS (in batches): a session whose stored last use
    // is older than the idle timeout by less than twice that may still be alive.
    const usedAfter = now - this.config.sessionIdleTimeoutSeconds * 1000 - 2 * LAST_USED_WRITE_MS;
    const rows = await this.uow.read((reads) => reads.sessions.pageOfUser(userId, query, { now, usedAfter }));
    const page = toPage(
      "sessions",
      query,
      rows,
      (s) => s,
      (s) => this.isActive(s, now),
    );
    return { items: page.items.map((s) => this.view(s)), nextPageToken: page.nextPageToken };
  }

  /** Revokes one of the user's sessions; revoking an ended session changes nothing. */
  async revoke(userId: string, sessionId: string, client: ClientInfo): Promise<void> {
    if (sessionId === "") throw invalidArgument("session_id", "is required");
    if (!SESSION_ID.test(sessionId)) throw invalidArgument("session_id", "is not a session id");
    const now = this.clock.now();
    await this.uow.run(async (tx) => {
      const session = await tx.sessions.findOfUser(userId, sessionId);
      if (!session) throw notFound("session not found");
      if ((await this.revokeOne(tx, userId, sessionId, "revoked")) === 1) {
        await tx.audit.record(now, "session.revoked", userId, client, { sessionId });
      }
      return commit(undefined);
    });
  }

  /** Ends the caller's session, or all of the user's sessions, or all but the caller's (Logout). */
  async logout(
    userId: string,
    sessionId: string,
    scope: "current" | "others" | "all",
    client: ClientInfo,
    auditScope: string,
  ): Promise<number> {
    const now = this.clock.now();
    return this.uow.run(async (tx) => {
      const count =
        scope === "current"
          ? await this.revokeOne(tx, userId, sessionId, "logout")
          : await this.revokeAll(tx, userId, scope === "others" ? sessionId : undefined);
      await tx.audit.record(now, "logout", userId, client, { sessionId, scope: auditScope });
      return commit(count);
    });
  }

  /** Ends every session of the user, except `exceptSessionId` when given; answers how many. */
  endAll(userId: string, exceptSessionId?: string): Promise<number> {
    return this.uow.run(async (tx) => commit(await this.revokeAll(tx, userId, exceptSessionId)));
  }

  /** Revokes one session of the user in the caller's transaction; answers 1 if it was active. */
  async revokeOne(
    tx: Transaction<SessionRepositories>,
    userId: string,
    sessionId: string,
    reason: string,
  ): Promise<number> {
    const session = await tx.sessions.findOfUser(userId, sessionId);
    if (!session || !this.isActive(session)) return 0;
    await this.revokeIn(tx, [sessionId], this.clock.now(), reason);
    return 1;
  }

  async revokeAll(
    tx: Transaction<SessionRepositories>,
    userId: string,
    exceptSessionId?: string,
  ): Promise<number> {
    if (!userId) throw new Error("revokeAll needs a user id");
    const now = this.clock.now();
    const sessions = await tx.sessions.listUnrevoked(userId);
    const active = sessions.filter((s) => s.id !== exceptSessionId && this.isActive(s, now));
    await this.revokeIn(
      tx,
      active.map((s) => s.id),
      now,
      "revoked_all",
    );
    return active.length;
  }

  async revokeAllOfTenant(tx: Transaction<SessionRepositories>, tenantId: string): Promise<number> {
    const now = this.clock.now();
    const ids = await tx.sessions.revokeAllOfTenant(tenantId, now, "tenant_suspended");
    await this.revoked(tx, ids);
    return ids.length;
  }

  view(session: SessionRecord): SessionView {
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

  private async rotate(
    tx: Transaction<SessionRepositories>,
    tokenHash: string,
    client: ClientInfo,
  ): Promise<Outcome<IssuedTokens>> {
    const now = this.clock.now();
    const row = await tx.refreshTokens.findByHash(tokenHash);
    if (!row) throw invalidRefreshToken();
    const session = await tx.sessions.findById(row.sessionId);
    if (!session) throw invalidRefreshToken();
    if (!this.isActive(session, now))
      throw invalidRefreshToken(session.revokedAt === null ? "TOKEN_EXPIRED" : "SESSION_REVOKED");
    const user = await tx.users.findById(session.userId);
    if (user?.status !== "active") throw invalidRefreshToken("SESSION_REVOKED");
    if (!(await tenantAdmits(tx, user.tenantId))) throw invalidRefreshToken("SESSION_REVOKED");

    if (row.rotatedAt === null) {
      // Conditional update: of two concurrent refreshes with one token, only one rotates it.
      const successorId = randomUUID();
      if (await tx.refreshTokens.claimRotation(row.id, now, successorId))
        return commit(await this.issue(tx, session, user, successorId));
      const reread = await tx.refreshTokens.findById(row.id);
      if (!reread || reread.rotatedAt === null) throw invalidRefreshToken();
      return this.reuse(tx, reread, session, user, now, client);
    }
    return this.reuse(tx, row, session, user, now, client);
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
    const found = await this.uow.read((reads) => reads.refreshTokens.findForRotation(tokenHash));
    if (!found || found.token.rotatedAt !== null) return null;
    const { token: row, session, user } = found;
    if (!this.isActive(session, now) || user.status !== "active" || !statusAdmits(found.tenantStatus))
      return null;
    const successor = this.newRefreshToken(session.id, now);
    const claimed = await this.uow.run(async (tx) => {
      if (!(await tx.refreshTokens.claimRotation(row.id, now, successor.row.id, session.id)))
        return commit(false);
      await tx.refreshTokens.insert(successor.row);
      return commit(true);
    });
    if (!claimed) return null;
    this.used(session.id, now);
    return this.tokensFor(session, user, successor.token);
  }

  private newRefreshToken(sessionId: string, now: number, id: string = randomUUID()) {
    const token = randomToken(32);
    const row: RefreshTokenRecord = {
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

  /** Signs an access token for the session (`tx`: the caller's transaction, if any). */
  private async tokensFor(
    session: SessionRecord,
    user: UserRecord,
    refreshToken: string,
    tx?: Transaction<SessionRepositories>,
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
      tx,
    );
    return {
      sessionId: session.id,
      userId: user.id,
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      refreshToken,
      refreshTokenExpiresAt: session.expiresAt,
    };
  }

  /** A rotated token was presented again: the grace case, or theft. */
  private async reuse(
    tx: Transaction<SessionRepositories>,
    row: RefreshTokenRecord,
    session: SessionRecord,
    user: UserRecord,
    now: number,
    client: ClientInfo,
  ): Promise<Outcome<IssuedTokens>> {
    const rotatedAt = row.rotatedAt ?? now;
    const successor = row.replacedBy ? await tx.refreshTokens.findById(row.replacedBy) : null;
    // A grace of 0 means none, even for a second presentation within the same millisecond.
    const inGrace =
      this.config.refreshReuseGraceSeconds > 0 &&
      now - rotatedAt <= this.config.refreshReuseGraceSeconds * 1000 &&
      row.graceUsedAt === null &&
      successor !== null &&
      successor.rotatedAt === null;
    if (inGrace && (await tx.refreshTokens.claimGrace(row.id, now))) {
      return commit(await this.issue(tx, session, user));
    }
    await this.revokeIn(tx, [session.id], now, "refresh_token_reused");
    await tx.audit.record(now, "refresh_token.reused", session.userId, client, {
      sessionId: session.id,
    });
    return commitThenFail(
      withReason("SESSION_REVOKED", unauthenticated("refresh token reused: the session was revoked")),
    );
  }

  /** A new refresh token (a link of the chain) and a new access token for the session. */
  private async issue(
    tx: Transaction<SessionRepositories>,
    session: SessionRecord,
    user: UserRecord,
    refreshId: string = randomUUID(),
  ): Promise<IssuedTokens> {
    const now = this.clock.now();
    const successor = this.newRefreshToken(session.id, now, refreshId);
    await tx.refreshTokens.insert(successor.row);
    if (session.lastUsedAt !== now) this.used(session.id, now);
    return this.tokensFor(session, user, successor.token, tx);
  }
}
