// What this replica knows of live sessions, and the rule that says whether one is. A session has an
// absolute end and an idle timeout (AUTHD_SESSION_IDLE_TIMEOUT): its state is cached in memory
// (session-cache.ts) so checking an access token needs no database read, and its uses are noted in
// memory and written in batches (session-last-use.ts), so the idle rule here sees uses the database
// does not hold yet. Every revocation goes through `revokeIn` or `revoked`, so this replica's cache
// forgets it and the other replicas are told.
import type { Clock } from "../../clock.js";
import type { SessionRecord, SessionRepositories } from "../persistence.js";
import type { Logger } from "../ports.js";
import type { Transaction, UnitOfWork } from "../unit-of-work.js";
import type { SessionConfig } from "./deps.js";
import { type CachedSession, SessionCache } from "./session-cache.js";
import { LastUseWriter } from "./session-last-use.js";

/** last_used_at is written at most this often per session, so authenticated traffic rarely writes. */
const LAST_USED_WRITE_MS = 60_000;
const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Whether `id` has the form of a session id (a UUID, as session creation makes them). */
export const isSessionId = (id: string): boolean => SESSION_ID.test(id);

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
  logger?: Pick<Logger, "warn">;
}

export class LiveSessions {
  /** Session state for the per-request token check; see session-cache.ts for how it stays true. */
  private readonly cache: SessionCache;
  private readonly lastUse: LastUseWriter;
  private readonly publishRevocations: RevocationPublisher;

  constructor(
    private readonly uow: UnitOfWork<SessionRepositories>,
    private readonly clock: Clock,
    private readonly config: Pick<SessionConfig, "sessionIdleTimeoutSeconds">,
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

  /**
   * The session behind an access token, when it is still active; notes its last use. Called for
   * every authenticated request: answered from memory (session-cache.ts), so a revocation on this
   * replica applies at once and one on another replica within REVOCATION_BOUND_MS.
   */
  async authenticate(sessionId: string, userId: string): Promise<ActiveSession | null> {
    if (!isSessionId(sessionId)) return null;
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

  /** How a session of the user that no longer authenticates ended; null when there is no such session. */
  async ending(sessionId: string, userId: string): Promise<"revoked" | "expired" | null> {
    if (!isSessionId(sessionId)) return null;
    const session = await this.uow.read((reads) => reads.sessions.findOfUser(userId, sessionId));
    if (!session) return null;
    return session.revokedAt !== null ? "revoked" : "expired";
  }

  /** Whether the session may still be used at `now`. */
  isActive(session: SessionRecord, now = this.clock.now()): boolean {
    return (
      session.revokedAt === null &&
      now < session.expiresAt &&
      now < this.lastUsedAt(session) + this.config.sessionIdleTimeoutSeconds * 1000
    );
  }

  /**
   * The oldest stored last use of a session that may still be alive at `now`. Uses are written at
   * most every LAST_USED_WRITE_MS (in batches): a session whose stored last use is older than the
   * idle timeout by less than twice that may still be alive.
   */
  usedAfter(now: number): number {
    return now - this.config.sessionIdleTimeoutSeconds * 1000 - 2 * LAST_USED_WRITE_MS;
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

  /** Notes a use of the session (written in the next batch). */
  used(sessionId: string, now: number): void {
    const cached = this.cache.peek(sessionId);
    if (cached && now > cached.lastUsedAt) cached.lastUsedAt = now;
    this.lastUse.note(sessionId, now);
  }

  /**
   * Revokes the sessions in `tx`: forgets their cached state now and once the transaction settles
   * (a read in between may cache the pre-commit state), and tells the other replicas when it
   * commits.
   */
  async revokeIn(
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
  async revoked(tx: Transaction<SessionRepositories>, sessionIds: string[]): Promise<void> {
    if (sessionIds.length === 0) return;
    this.cache.forget(sessionIds);
    this.uow.afterTransaction(() => this.cache.forget(sessionIds));
    await this.publishRevocations(tx, sessionIds);
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
}
