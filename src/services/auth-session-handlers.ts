// AuthService.Refresh and AuthService.Logout: the session half of AuthService. The accounts part
// spreads `authSessionHandlers(app)` into its AuthService implementation.
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type LogoutRequest,
  type LogoutResponseSchema,
  type RefreshRequest,
  type RefreshResponseSchema,
} from "../../gen/authd/v1/auth_pb.js";
import type { Clock } from "../clock.js";
import { permissionDenied } from "../domain/errors.js";
import type { Sessions } from "../domain/sessions/index.js";
import {
  type CookieSettings,
  clearSessionCookies,
  cookieNames,
  isAllowedCookieOrigin,
  setSessionCookies,
} from "../http/session-cookies.js";
import { clientInfo, requestInfo, requireSession } from "./caller.js";
import { toTokenPairMessage } from "./mapping/tokens.js";
import { sessionScope } from "./session-scope.js";

/** What Refresh and Logout need: the sessions feature, the cookie settings, the clock. */
export interface AuthSessionDeps {
  sessions: Sessions;
  cookies: CookieSettings;
  clock: Clock;
}

export function authSessionHandlers(app: AuthSessionDeps) {
  return {
    async refresh(
      req: RefreshRequest,
      ctx: HandlerContext,
    ): Promise<MessageInitShape<typeof RefreshResponseSchema>> {
      const info = requestInfo(ctx);
      let token = req.refreshToken;
      const fromCookie = token === "";
      if (fromCookie) {
        token = info.cookies[cookieNames(app.cookies).refresh] ?? "";
        if (token !== "" && !isAllowedCookieOrigin(ctx.requestHeader.get("origin"), app.cookies)) {
          throw permissionDenied(
            "cross-site request refused: the Origin is not allowed to use the session cookie",
          );
        }
      }
      const tokens = await app.sessions.refresh(token, clientInfo(ctx)).catch((error: unknown) => {
        // A cookie whose session has ended is of no further use: tell the browser to drop it.
        if (fromCookie && token !== "") clearSessionCookies(ctx, app.cookies);
        throw error;
      });
      if (fromCookie) setSessionCookies(ctx, tokens, app.cookies, app.clock.now());
      return { tokens: toTokenPairMessage(tokens, !fromCookie) };
    },

    async logout(
      req: LogoutRequest,
      ctx: HandlerContext,
    ): Promise<MessageInitShape<typeof LogoutResponseSchema>> {
      const caller = requireSession(ctx);
      const info = requestInfo(ctx);
      const scope = sessionScope(req.endSessions, "current", ["current", "others", "all"]);
      const revoked = await app.sessions.logout(caller, scope, clientInfo(ctx));
      const names = cookieNames(app.cookies);
      const hasCookies =
        info.cookies[names.access] !== undefined || info.cookies[names.refresh] !== undefined;
      if (scope !== "others" && hasCookies) {
        clearSessionCookies(ctx, app.cookies);
      }
      return { revokedSessions: revoked };
    },
  };
}
