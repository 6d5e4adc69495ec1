// The one path from a credential to its caller: the authentication interceptor and
// SessionService.ValidateToken both resolve tokens here.
import type { Caller } from "../callers.js";
import type { SessionRepositories } from "../persistence.js";
import { tenantAdmits } from "../tenants/gate.js";
import type { UnitOfWork } from "../unit-of-work.js";
import type { AccessTokens } from "./access-tokens.js";
import { type ApiKeys, looksLikeApiKey } from "./api-keys.js";
import type { LiveSessions } from "./live-sessions.js";

/** Resolves a credential to its caller; null for every failure (the caller decides the error). */
export interface TokenAuthenticator {
  /** An access token (JWT) whose session is still active. */
  fromAccessToken(token: string): Promise<Caller | null>;
  /** An API key of an active account, unexpired and unrevoked. */
  fromApiKey(raw: string): Promise<Caller | null>;
  /** Either kind, told apart by its form. */
  authenticate(credential: string): Promise<Caller | null>;
  /** Why `authenticate` refused a credential, for the answer's reason (read only after a refusal). */
  whyRefused(credential: string): Promise<CredentialRefusal>;
}

/** What the holder of a refused credential should do: refresh, sign in again, or fix the credential. */
export type CredentialRefusal = "TOKEN_EXPIRED" | "SESSION_REVOKED" | "TOKEN_INVALID";

export class Credentials implements TokenAuthenticator {
  constructor(
    private readonly accessTokens: Pick<AccessTokens, "verify" | "isExpired">,
    private readonly sessions: Pick<LiveSessions, "authenticate" | "ending">,
    private readonly apiKeys: Pick<ApiKeys, "authenticate">,
    /** Reads the key's account's tenant: a suspended tenant's keys stop working. */
    private readonly uow: UnitOfWork<Pick<SessionRepositories, "tenants">>,
  ) {}

  async fromAccessToken(token: string): Promise<Caller | null> {
    const claims = await this.accessTokens.verify(token);
    if (!claims) return null;
    const session = await this.sessions.authenticate(claims.sessionId, claims.userId);
    if (!session) return null;
    return {
      userId: claims.userId,
      sessionId: claims.sessionId,
      scopes: undefined,
      kind: "session",
      amr: claims.amr,
      tenantId: claims.tenantId,
      roles: claims.roles,
      expiresAt: claims.expiresAt,
    };
  }

  async fromApiKey(raw: string): Promise<Caller | null> {
    const found = await this.apiKeys.authenticate(raw);
    if (!found) return null;
    if (!(await this.uow.read((reads) => tenantAdmits(reads, found.user.tenantId)))) return null;
    return {
      userId: found.user.id,
      sessionId: undefined,
      scopes: found.key.scopes,
      kind: "api_key",
      amr: [],
      tenantId: found.user.tenantId ?? undefined,
      roles: found.user.roles,
      expiresAt: found.key.expiresAt ?? undefined,
    };
  }

  authenticate(credential: string): Promise<Caller | null> {
    return looksLikeApiKey(credential) ? this.fromApiKey(credential) : this.fromAccessToken(credential);
  }

  async whyRefused(credential: string): Promise<CredentialRefusal> {
    if (looksLikeApiKey(credential)) return "TOKEN_INVALID";
    const claims = await this.accessTokens.verify(credential);
    if (!claims) return (await this.accessTokens.isExpired(credential)) ? "TOKEN_EXPIRED" : "TOKEN_INVALID";
    const ending = await this.sessions.ending(claims.sessionId, claims.userId);
    if (ending === "revoked") return "SESSION_REVOKED";
    return ending === "expired" ? "TOKEN_EXPIRED" : "TOKEN_INVALID";
  }
}
