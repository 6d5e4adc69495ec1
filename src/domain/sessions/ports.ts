// What other features ask of sessions and API keys, each in its own transaction: a sign-in ends in a
// session made in the sign-in's transaction (accounts, identities, the second factor), and ending
// someone's access (deactivation, a password reset, a suspended tenant) ends their sessions and
// keys in the transaction that records it. These ports are not on the face handlers call (index.ts):
// a handler's use case opens its own unit of work, these join the caller's.
import type { Page, PageRequest } from "../paging.js";
import type { ApiKeyRepositories, SessionRepositories } from "../persistence.js";
import type { ClientInfo } from "../ports.js";
import type { Transaction } from "../unit-of-work.js";
import type { SessionView } from "./live-sessions.js";

export interface NewSession {
  userId: string;
  /** RFC 8176 method references: "pwd", "otp", "sms", "mfa", ... */
  amr: string[];
  client: ClientInfo;
  /** Requested absolute lifetime; undefined means the configured default. Capped by the maximum. */
  durationSeconds: number | undefined;
}

export interface IssuedTokens {
  sessionId: string;
  /** The account the session belongs to. */
  userId: string;
  accessToken: string;
  /** Epoch milliseconds. */
  accessTokenExpiresAt: number;
  refreshToken: string;
  /** Epoch milliseconds: the session's absolute end. */
  refreshTokenExpiresAt: number;
}

export interface SessionIssuer {
  /**
   * Creates a session and its first tokens inside the caller's transaction, and records the sign-in.
   * invalid_argument (session_duration) for a duration that is not positive; failed_precondition
   * (TENANT_SUSPENDED) when the account's tenant lets nobody in.
   */
  create(tx: Transaction<SessionRepositories>, input: NewSession): Promise<IssuedTokens>;
  /** Revokes every active session of a user, except one when given; answers how many. */
  revokeAll(tx: Transaction<SessionRepositories>, userId: string, exceptSessionId?: string): Promise<number>;
  /** Revokes every unrevoked session of a tenant's accounts in one statement; answers how many. */
  revokeAllOfTenant(tx: Transaction<SessionRepositories>, tenantId: string): Promise<number>;
}

/** A user's active sessions, read outside any transaction (a tenant admin looking at a user's). */
export interface SessionLister {
  /** One page of the user's active sessions, newest first (see Sessions.listSessions). */
  listPage(userId: string, request: PageRequest): Promise<Page<SessionView>>;
}

/** API keys outlive sessions: ending someone's access ends their keys too (deactivation, recovery). */
export interface ApiKeyRevoker {
  /** Revokes every API key of the user, in the caller's transaction. */
  revokeAll(tx: Transaction<ApiKeyRepositories>, userId: string): Promise<void>;
}
