// Connect context keys, in their own module so that interceptors and handlers can share them
// without importing each other.
import { createContextKey } from "@connectrpc/connect";
import type { Caller } from "./domain/callers.js";

/** Who is calling, once the authentication interceptor has resolved a credential (the domain's Caller). */
export type Principal = Caller;

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
