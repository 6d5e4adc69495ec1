// Sessions and tokens, the feature's face: `Sessions`, one method per use case of SessionService and
// of AuthService's Refresh and Logout, each its own unit of work. Handlers import the feature through
// this file only (besides domain/errors.ts, domain/callers.ts for the Caller, domain/paging.ts's
// PageRequest and Page, and domain/ports.ts's ClientInfo).
//
// One face for sessions and API keys: both are the credentials an account holds and SessionService
// manages, and ValidateToken answers for either kind, so it belongs to neither half alone.
//
// Besides the face, the feature offers ports to the other parts, wired in src/wiring/: the
// SessionIssuer, SessionLister and ApiKeyRevoker of ports.ts (for other features' transactions) and
// the TokenAuthenticator of credentials.ts (the authentication interceptor, and ValidateToken here:
// the one path from a credential to its caller).
//
// Inside, each file has one job: live-sessions.ts (what this replica knows of live sessions, and
// every revocation), create.ts, refresh.ts, end-sessions.ts, read-sessions.ts and revocation.ts (the
// use cases), issue.ts (a session's pair of tokens), access-tokens.ts and signing-keys.ts (the JWTs
// and the keys that sign them), api-keys.ts, credentials.ts.
import type { Caller, SessionCaller } from "../callers.js";
import { invalidArgument } from "../errors.js";
import type { Page, PageRequest } from "../paging.js";
import type { ApiKeyRecord } from "../persistence.js";
import type { ClientInfo } from "../ports.js";
import type { ApiKeys, CreatedApiKey, NewApiKey } from "./api-keys.js";
import { createSession } from "./create.js";
import type { TokenAuthenticator } from "./credentials.js";
import type { SessionDeps } from "./deps.js";
import { logout, revokeAllSessions, revokeSession } from "./end-sessions.js";
import type { SessionView } from "./live-sessions.js";
import type { IssuedTokens, SessionIssuer, SessionLister } from "./ports.js";
import { getSession, listSessions } from "./read-sessions.js";
import { refresh } from "./refresh.js";
import { revokeAll, revokeAllOfTenant } from "./revocation.js";

export { type CreatedApiKey, looksLikeApiKey, type NewApiKey } from "./api-keys.js";
export type { CredentialRefusal, TokenAuthenticator } from "./credentials.js";
export type { SessionView } from "./live-sessions.js";
export type { ApiKeyRevoker, IssuedTokens, NewSession, SessionIssuer, SessionLister } from "./ports.js";
export type { ApiKeyRecord };

/** A caller signed in with a session: the account and the session the request came with. */
type SessionHolder = Pick<SessionCaller, "userId" | "sessionId">;

export interface Sessions {
  /**
   * Refresh: exchanges a refresh token for a new pair and rotates it. The token rotated last answers
   * once more within AUTHD_REFRESH_REUSE_GRACE (another tab refreshing at once); any other use of
   * a rotated token revokes the session. invalid_argument (refresh_token) when empty;
   * unauthenticated, with the reason TOKEN_INVALID, TOKEN_EXPIRED or SESSION_REVOKED, for a token
   * that is not usable (its session ended, its account or tenant no longer lets it in).
   */
  refresh(refreshToken: string, client: ClientInfo): Promise<IssuedTokens>;

  /**
   * Logout: ends the caller's session (`current`), all of the account's but it (`others`) or all of
   * them (`all`), and records it. Answers how many active sessions it ended.
   */
  logout(caller: SessionHolder, scope: "current" | "others" | "all", client: ClientInfo): Promise<number>;

  /**
   * GetSession: one of the user's active sessions. invalid_argument (session_id) for what is not a
   * session id; not_found for a session that ended, or that is another user's.
   */
  getSession(userId: string, sessionId: string): Promise<SessionView>;

  /**
   * ListSessions: one page of the user's active sessions, newest first. invalid_argument naming the
   * field for a bad page size, filter or page token.
   */
  listSessions(userId: string, request: PageRequest): Promise<Page<SessionView>>;

  /**
   * RevokeSession: ends one of the user's sessions, and records it; one that already ended changes
   * nothing. invalid_argument (session_id) when empty or not a session id; not_found for a session
   * the user never had.
   */
  revokeSession(userId: string, sessionId: string, client: ClientInfo): Promise<void>;

  /**
   * RevokeAllSessions: ends all of the user's sessions, or (`others`) all but the caller's own (a
   * caller with an API key has none, so `others` ends them all). Answers how many.
   */
  revokeAllSessions(caller: Pick<Caller, "userId" | "sessionId">, scope: "all" | "others"): Promise<number>;

  /**
   * ValidateToken: the caller an access token or API key stands for while it is usable, else null
   * (which failure is not told). invalid_argument (token) when it is empty.
   */
  validateToken(token: string): Promise<Caller | null>;

  /**
   * CreateApiKey: a key for scripts and servers, made from a signed-in session that re-authenticates
   * (the account password, and a recent second factor where the account has one: reauthentication.ts).
   * invalid_argument naming the field (name, scopes, expire_time, current_password); the
   * re-authentication's refusals (permission_denied, resource_exhausted, ...).
   */
  createApiKey(
    caller: SessionHolder,
    password: string,
    input: NewApiKey,
    client: ClientInfo,
  ): Promise<CreatedApiKey>;

  /**
   * ListApiKeys: one page of the user's keys, newest first, revoked ones included. invalid_argument
   * naming the field for a bad page size, filter or page token.
   */
  listApiKeys(userId: string, request: PageRequest): Promise<Page<ApiKeyRecord>>;

  /** GetApiKey: one of the user's keys. invalid_argument (api_key_id); not_found for another's. */
  getApiKey(userId: string, apiKeyId: string): Promise<ApiKeyRecord>;

  /**
   * RevokeApiKey: revokes one of the user's keys, and records it; a revoked key changes nothing.
   * invalid_argument (api_key_id); not_found for a key the user does not have.
   */
  revokeApiKey(userId: string, apiKeyId: string, client: ClientInfo): Promise<void>;
}

/** What the face is built from: the session use cases' deps, the API keys and the credential path. */
export interface SessionsDeps extends SessionDeps {
  apiKeys: ApiKeys;
  credentials: TokenAuthenticator;
}

export function createSessions(deps: SessionsDeps): Sessions {
  const { apiKeys, credentials } = deps;
  return {
    refresh: (refreshToken, client) => refresh(deps, refreshToken, client),
    logout: (caller, scope, client) => logout(deps, caller, scope, client),
    getSession: (userId, sessionId) => getSession(deps, userId, sessionId),
    listSessions: (userId, request) => listSessions(deps, userId, request),
    revokeSession: (userId, sessionId, client) => revokeSession(deps, userId, sessionId, client),
    revokeAllSessions: (caller, scope) => revokeAllSessions(deps, caller, scope),
    async validateToken(token) {
      const credential = token.trim();
      if (credential === "") throw invalidArgument("token", "is required");
      return credentials.authenticate(credential);
    },
    createApiKey: (caller, password, input, client) => apiKeys.create(caller, password, input, client),
    listApiKeys: (userId, request) => apiKeys.listPage(userId, request),
    getApiKey: (userId, apiKeyId) => apiKeys.get(userId, apiKeyId),
    revokeApiKey: (userId, apiKeyId, client) => apiKeys.revoke(userId, apiKeyId, client),
  };
}

/**
 * The ports other features take: sessions made and ended in their transactions, and a user's
 * sessions listed for a tenant admin. They share the face's live sessions (the same `deps.live`).
 */
export function sessionIssuer(deps: SessionDeps): SessionIssuer & SessionLister {
  return {
    create: (tx, input) => createSession(deps, tx, input),
    revokeAll: (tx, userId, exceptSessionId) => revokeAll(deps, tx, userId, exceptSessionId),
    revokeAllOfTenant: (tx, tenantId) => revokeAllOfTenant(deps, tx, tenantId),
    listPage: (userId, request) => listSessions(deps, userId, request),
  };
}
