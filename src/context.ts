// Connect context keys, in their own module so that interceptors and handlers can share them
// without importing each other.
import { createContextKey } from "@connectrpc/connect";

/** Who is calling, once the authentication interceptor has resolved a credential. */
export interface Principal {
  userId: string;
  /** The session of an access token or cookie; undefined for API keys. */
  sessionId: string | undefined;
  /** API key scopes; undefined for sessions, which carry the account's full rights. */
  scopes: string[] | undefined;
  kind: "session" | "api_key";
  amr: string[];
  tenantId: string | undefined;
  roles: string[];
}

export interface RequestInfo {
  requestId: string;
  /** The client's address (for audit and display). */
  ip: string;
  /** What per-address limits count under: the IPv4 address, or the IPv6 /64. */
  rateLimitKey: string;
  userAgent: string;
  /** Cookies sent with the request, by name. */
  cookies: Record<string, string>;
}

export const principalKey = createContextKey<Principal | undefined>(undefined, {
  description: "authenticated caller",
});

export const requestInfoKey = createContextKey<RequestInfo>(
  { requestId: "", ip: "", rateLimitKey: "", userAgent: "", cookies: {} },
  { description: "request metadata" },
);
