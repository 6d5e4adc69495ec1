// Reading the caller out of a handler's context. The authentication interceptor puts the principal
// there; handlers that need a caller call requireCaller.
import type { HandlerContext } from "@connectrpc/connect";
import { type Principal, principalKey, type RequestInfo, requestInfoKey } from "../context.js";
import { permissionDenied, unauthenticated } from "../domain/errors.js";
import type { ClientInfo } from "../domain/ports.js";

export function requireCaller(ctx: HandlerContext, scope?: string): Principal {
  const principal = ctx.values.get(principalKey);
  if (!principal) throw unauthenticated("this call needs an access token, API key or session cookie");
  if (scope !== undefined && principal.scopes !== undefined && !principal.scopes.includes(scope)) {
    throw permissionDenied(`the API key lacks the "${scope}" scope`);
  }
  return principal;
}

/** Whether the caller may do what `scope` allows: a session always, an API key when it holds it. */
export function holdsScope(principal: Principal, scope: string): boolean {
  return principal.scopes === undefined || principal.scopes.includes(scope);
}

/** A caller that must be a signed-in session (not an API key): for account and session changes. */
export function requireSession(ctx: HandlerContext): Principal & { sessionId: string } {
  const principal = requireCaller(ctx);
  if (principal.sessionId === undefined)
    throw permissionDenied("this call needs a signed-in session, not an API key");
  return principal as Principal & { sessionId: string };
}

export function requestInfo(ctx: HandlerContext): RequestInfo {
  return ctx.values.get(requestInfoKey);
}

/** Who is asking, as auditing and rate limiting see it. */
export function clientInfo(ctx: HandlerContext): ClientInfo {
  const { ip, rateLimitKey, userAgent } = requestInfo(ctx);
  return { ip, rateLimitKey, userAgent };
}
