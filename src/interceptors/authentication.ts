// Resolves who is calling, once per RPC, and puts the principal in the handler context. Credentials,
// in order: `Authorization: Bearer <access token | API key>`, `x-api-key`, the session cookie.
// A credential sent in a header that does not check out answers Unauthenticated. A stale session
// cookie (expired or revoked session) is ignored instead, so that a browser holding one can still
// call Login and Refresh; RPCs that need a caller then answer Unauthenticated themselves. Without a
// credential the principal stays unset and public RPCs work.
import type { Interceptor } from "@connectrpc/connect";
import type { Config } from "../config.js";
import { type Principal, principalKey, requestInfoKey } from "../context.js";
import { permissionDenied, unauthenticated, withReason } from "../domain/errors.js";
import { looksLikeApiKey, type TokenAuthenticator } from "../domain/sessions/index.js";
import { cookieNames, isAllowedCookieOrigin } from "../http/session-cookies.js";

export interface AuthenticationDeps {
  config: Pick<Config, "env" | "publicUrl" | "corsOrigins" | "localAppOrigins">;
  credentials: TokenAuthenticator;
}

async function fromHeaderCredential(credentials: TokenAuthenticator, credential: string): Promise<Principal> {
  const principal = await credentials.authenticate(credential);
  if (!principal) {
    throw withReason(
      await credentials.whyRefused(credential),
      unauthenticated(looksLikeApiKey(credential) ? "invalid API key" : "invalid or expired access token"),
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
      if (!match?.[1])
        throw withReason(
          "TOKEN_INVALID",
          unauthenticated("the Authorization header must be `Bearer <token>`"),
        );
      principal = await fromHeaderCredential(deps.credentials, match[1]);
    } else if (apiKey !== null) {
      if (!looksLikeApiKey(apiKey)) throw withReason("TOKEN_INVALID", unauthenticated("invalid API key"));
      principal = await fromHeaderCredential(deps.credentials, apiKey);
    } else {
      const cookie = req.contextValues.get(requestInfoKey).cookies[names.access];
      if (cookie) {
        if (!isAllowedCookieOrigin(req.header.get("origin"), deps.config)) {
          throw permissionDenied(
            "cross-site request refused: the Origin is not allowed to use the session cookie",
          );
        }
        principal = (await deps.credentials.fromAccessToken(cookie)) ?? undefined;
      }
    }
    if (principal) req.contextValues.set(principalKey, principal);
    return next(req);
  };
}
