// SessionService: thin handlers from proto to the sessions feature and back.
//
// Who may call what: GetSession without a session_id, CreateApiKey, ListApiKeys, GetApiKey and
// RevokeApiKey need a signed-in session (an API key cannot manage keys). ListSessions and GetSession
// with a session_id need the "sessions:read" scope from an API key, RevokeSession and
// RevokeAllSessions "sessions:write". ValidateToken needs no caller: it answers only about the token
// it is given, which its holder could use directly anyway, so backends can call it without
// credentials of their own.
import type { ServiceImpl } from "@connectrpc/connect";
import type { SessionService } from "../../gen/authd/v1/session_pb.js";
import type { Sessions } from "../domain/sessions/index.js";
import { clientInfo, requireCaller, requireSession } from "./caller.js";
import { fromPagedRequest } from "./mapping/paging.js";
import {
  fromCreateApiKeyRequest,
  toApiKeyMessage,
  toSessionMessage,
  toValidateTokenResponseMessage,
} from "./mapping/sessions.js";
import { sessionScope } from "./session-scope.js";

/** AdminService maps sessions with it until it imports mapping/sessions.ts itself. */

/** What SessionService needs: the sessions feature (sessions, API keys, the credential check). */
export interface SessionServiceDeps {
  sessions: Sessions;
}

export function sessionService({
  sessions,
}: SessionServiceDeps): Partial<ServiceImpl<typeof SessionService>> {
  return {
    async getSession(req, ctx) {
      // Without an id, the caller's own session (so a session is needed); with one, any session of
      // the caller's, readable like ListSessions (an API key with "sessions:read" may ask).
      const caller = req.sessionId === "" ? requireSession(ctx) : requireCaller(ctx, "sessions:read");
      const sessionId = req.sessionId === "" ? (caller.sessionId as string) : req.sessionId;
      const session = await sessions.getSession(caller.userId, sessionId);
      return { session: toSessionMessage(session, caller.sessionId) };
    },
    async listSessions(req, ctx) {
      const caller = requireCaller(ctx, "sessions:read");
      const page = await sessions.listSessions(caller.userId, fromPagedRequest(req));
      return {
        sessions: page.items.map((s) => toSessionMessage(s, caller.sessionId)),
        nextPageToken: page.nextPageToken,
      };
    },
    async revokeSession(req, ctx) {
      const caller = requireCaller(ctx, "sessions:write");
      await sessions.revokeSession(caller.userId, req.sessionId, clientInfo(ctx));
      return {};
    },
    async revokeAllSessions(req, ctx) {
      const caller = requireCaller(ctx, "sessions:write");
      const scope = sessionScope(req.endSessions, "all", ["all", "others"]);
      return { revokedSessions: await sessions.revokeAllSessions(caller, scope) };
    },
    async validateToken(req) {
      return toValidateTokenResponseMessage(await sessions.validateToken(req.token));
    },
    async createApiKey(req, ctx) {
      const caller = requireSession(ctx);
      const input = fromCreateApiKeyRequest(req);
      const { key, secret } = await sessions.createApiKey(
        caller,
        req.currentPassword,
        input,
        clientInfo(ctx),
      );
      return { apiKey: toApiKeyMessage(key), secret };
    },
    async listApiKeys(req, ctx) {
      const caller = requireSession(ctx);
      const page = await sessions.listApiKeys(caller.userId, fromPagedRequest(req));
      return { apiKeys: page.items.map(toApiKeyMessage), nextPageToken: page.nextPageToken };
    },
    async getApiKey(req, ctx) {
      const caller = requireSession(ctx);
      return { apiKey: toApiKeyMessage(await sessions.getApiKey(caller.userId, req.apiKeyId)) };
    },
    async revokeApiKey(req, ctx) {
      const caller = requireSession(ctx);
      await sessions.revokeApiKey(caller.userId, req.apiKeyId, clientInfo(ctx));
      return {};
    },
  };
}
