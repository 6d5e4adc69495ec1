// Who is calling, as the domain sees it: what the authentication interceptor resolved a credential
// to (sessions/credentials.ts is the one path from a credential to a caller), and what every feature
// that acts for a caller takes.

export interface Caller {
  userId: string;
  /** The session of an access token or cookie; undefined for API keys. */
  sessionId: string | undefined;
  /** API key scopes; undefined for sessions, which carry the account's full rights. */
  scopes: string[] | undefined;
  kind: "session" | "api_key";
  amr: string[];
  tenantId: string | undefined;
  roles: string[];
  /** When the credential stops working (epoch ms); undefined for a key without expiry. */
  expiresAt: number | undefined;
}

/** A caller signed in with a session (not an API key). */
export type SessionCaller = Caller & { sessionId: string };
