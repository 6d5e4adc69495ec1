// AuthService.Refresh and AuthService.Logout: the session half of AuthService. The accounts part
// spreads `authSessionHandlers(app)` into its AuthService implementation.
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type LogoutRequest,
  type LogoutResponseSchema,
  LogoutScope,
  type RefreshRequest,
  type RefreshResponseSchema,
} from "../../gen/authd/v1/auth_pb.js";
import type { App } from "../app.js";
import { recordAudit } from "../domain/audit.js";
import { permissionDenied } from "../domain/errors.js";
import { clientInfo, requestInfo, requireSession } from "./caller.js";
import {
  clearSessionCookies,
  cookieNames,
  isAllowedCookieOrigin,
  setSessionCookies,
} from "./session-cookies.js";
import { toTokenPair } from "./token-mapper.js";

export function authSessionHandlers(app: App) {
  return {
    async refresh(
      req: RefreshRequest,
      ctx: HandlerContext,
    ): Promise<MessageInitShape<typeof RefreshResponseSchema>> {
      const info = requestInfo(ctx);
      let token = req.refreshToken;
      const fromCookie = token === "";
      if (fromCookie) {
        token = info.cookies[cookieNames(app.config).refresh] ?? "";
        if (token !== "" && !isAllowedCookieOrigin(ctx.requestHeader.get("origin"), app.config)) {
          throw permissionDenied(
            "cross-site request refused: the Origin is not allowed to use the session cookie",
          );
        }
      }
      const tokens = await app.sessions.refresh(token, clientInfo(ctx)).catch((error: unknown) => {
        // A cookie whose session has ended is of no further use: tell the browser to drop it.
        if (fromCookie && token !== "") clearSessionCookies(ctx, app.config);
        throw error;
      });
      if (fromCookie) setSessionCookies(ctx, tokens, app.config, app.clock.now());
      return { tokens: toTokenPair(tokens, !fromCookie) };
    },

    async logout(
      req: LogoutRequest,
      ctx: HandlerContext,
    ): Promise<MessageInitShape<typeof LogoutResponseSchema>> {
      const caller = requireSession(ctx);
      const info = requestInfo(ctx);
      const client = clientInfo(ctx);
      const scope = req.scope === LogoutScope.UNSPECIFIED ? LogoutScope.CURRENT : req.scope;
      const now = app.clock.now();
      const revoked = await app.store.transaction(async (em) => {
        let count: number;
        if (scope === LogoutScope.CURRENT) {
          count = await app.sessions.revokeOne(em, caller.userId, caller.sessionId, "logout");
        } else {
          const except = scope === LogoutScope.OTHERS ? caller.sessionId : undefined;
          count = await app.sessions.revokeAll(em, caller.userId, except);
        }
        await recordAudit(em, now, "logout", caller.userId, client, {
          sessionId: caller.sessionId,
          scope: LogoutScope[scope],
        });
        return count;
      });
      const names = cookieNames(app.config);
      const hasCookies =
        info.cookies[names.access] !== undefined || info.cookies[names.refresh] !== undefined;
      if (scope !== LogoutScope.OTHERS && hasCookies) {
        clearSessionCookies(ctx, app.config);
      }
      return { revokedSessions: revoked };
    },
  };
}
