// Resolves who is calling, once per RPC, and puts the principal in the handler context. Credentials,
// in order: `Authorization: Bearer <access token | API key>`, `x-api-key`, the session cookie.
// A credential sent in a header that does not check out answers Unauthenticated. A stale session
// cookie (expired or revoked session) is ignored instead, so that a browser holding one can still
// call Login and Refresh; RPCs that need a caller then answer Unauthenticated themselves. Without a
// credential the principal stays unset and public RPCs work.
import type { Interceptor } from "@connectrpc/connect";
import type { Config } from "../config.js";
import { type Principal, principalKey, requestInfoKey } from "../context.js";
import type { AccessTokens } from "../domain/access-tokens.js";
import { type ApiKeys, looksLikeApiKey } from "../domain/api-keys.js";
import { permissionDenied, unauthenticated } from "../domain/errors.js";
import type { Sessions } from "../domain/sessions.js";
import { cookieNames, isAllowedCookieOrigin } from "../services/session-cookies.js";

export interface AuthenticationDeps {
  config: Pick<Config, "env" | "publicUrl" | "corsOrigins">;
  accessTokens: AccessTokens;
  sessions: Sessions;
  apiKeys: ApiKeys;
}

/** Resolves an access token to its principal, when the token and its session are valid. */
export async function principalFromAccessToken(
  deps: AuthenticationDeps,
  token: string,
): Promise<Principal | null> {
  const claims = await deps.accessTokens.verify(token);
  if (!claims) return null;
  const session = await deps.sessions.authenticate(claims.sessionId, claims.userId);
  if (!session) return null;
  return {
    userId: claims.userId,
    sessionId: claims.sessionId,
    scopes: undefined,
    kind: "session",
    amr: claims.amr,
    tenantId: claims.tenantId,
    roles: claims.roles,
  };
}

export async function principalFromApiKey(deps: AuthenticationDeps, raw: string): Promise<Principal | null> {
  const found = await deps.apiKeys.authenticate(raw);
  if (!found) return null;
  return {
    userId: found.user.id,
    sessionId: undefined,
    scopes: found.key.scopes,
    kind: "api_key",
    amr: [],
    tenantId: found.user.tenantId ?? undefined,
    roles: found.user.roles,
  };
}

async function fromHeaderCredential(deps: AuthenticationDeps, credential: string): Promise<Principal> {
  const principal = looksLikeApiKey(credential)
    ? await principalFromApiKey(deps, credential)
    : await principalFromAccessToken(deps, credential);
  if (!principal) {
    throw unauthenticated(
      looksLikeApiKey(credential) ? "invalid API key" : "invalid or expired access token",
    );
  }
  return principal;
}

export function authenticationInterceptor(deps: AuthenticationDeps): Interceptor {
  const names = cookieNames(deps.config);
  return (next) => async (req) => {
    const authorization = req.header.get("authorization");
    const apiKey = req.header.get("x-api-key");
    let principal: Principal | undefined;
    if (authorization !== null) {
      const match = /^Bearer +(\S+) *$/i.exec(authorization);
      if (!match?.[1]) throw unauthenticated("the Authorization header must be `Bearer <token>`");
      principal = await fromHeaderCredential(deps, match[1]);
    } else if (apiKey !== null) {
      if (!looksLikeApiKey(apiKey)) throw unauthenticated("invalid API key");
      principal = await fromHeaderCredential(deps, apiKey);
    } else {
      const cookie = req.contextValues.get(requestInfoKey).cookies[names.access];
      if (cookie) {
        if (!isAllowedCookieOrigin(req.header.get("origin"), deps.config)) {
          throw permissionDenied(
            "cross-site request refused: the Origin is not allowed to use the session cookie",
          );
        }
        principal = (await principalFromAccessToken(deps, cookie)) ?? undefined;
      }
    }
    if (principal) req.contextValues.set(principalKey, principal);
    return next(req);
  };
}
