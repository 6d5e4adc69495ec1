// SessionService: thin handlers from proto to the sessions, API-key and token domain and back.
//
// Who may call what: GetSession without a session_id, CreateApiKey, ListApiKeys, GetApiKey and
// RevokeApiKey need a signed-in session (an API key cannot manage keys). ListSessions and GetSession
// with a session_id need the "sessions:read" scope from an API key, RevokeSession and
// RevokeAllSessions "sessions:write". ValidateToken needs no caller: it answers only about the token
// it is given, which its holder could use directly anyway, so backends can call it without
// credentials of their own.
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import type { SessionSchema } from "../../gen/authd/v1/common_pb.js";
import {
  type ApiKeySchema,
  type SessionService,
  TokenKind,
  type ValidateTokenRequest,
  type ValidateTokenResponseSchema,
} from "../../gen/authd/v1/session_pb.js";
import { invalidArgument } from "../domain/errors.js";
import type { ApiKeyRecord } from "../domain/persistence.js";
import type { ApiKeys } from "../domain/sessions/api-keys.js";
import type { TokenAuthenticator } from "../domain/sessions/credentials.js";
import type { Sessions, SessionView } from "../domain/sessions/sessions.js";
import { clientInfo, requireCaller, requireSession } from "./caller.js";
import { toPageRequest } from "./page-mapper.js";
import { sessionScope } from "./session-scope.js";

export function sessionMessage(
  session: SessionView,
  currentId: string | undefined,
): MessageInitShape<typeof SessionSchema> {
  return {
    id: session.id,
    createTime: timestampFromMs(session.createdAt),
    lastUsedTime: timestampFromMs(session.lastUsedAt),
    expireTime: timestampFromMs(session.expiresAt),
    idleExpireTime: timestampFromMs(session.idleExpiresAt),
    ipAddress: session.ip,
    userAgent: session.userAgent,
    amr: session.amr,
    current: session.id === currentId,
  };
}

function apiKeyMessage(key: ApiKeyRecord): MessageInitShape<typeof ApiKeySchema> {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    scopes: key.scopes,
    createTime: timestampFromMs(key.createdAt),
    expireTime: key.expiresAt === null ? undefined : timestampFromMs(key.expiresAt),
    lastUsedTime: key.lastUsedAt === null ? undefined : timestampFromMs(key.lastUsedAt),
    revokeTime: key.revokedAt === null ? undefined : timestampFromMs(key.revokedAt),
  };
}

async function validateToken(
  credentials: TokenAuthenticator,
  req: ValidateTokenRequest,
): Promise<MessageInitShape<typeof ValidateTokenResponseSchema>> {
  const token = req.token.trim();
  if (token === "") throw invalidArgument("token", "is required");
  const caller = await credentials.authenticate(token);
  if (!caller) return { active: false };
  const expireTime = caller.expiresAt === undefined ? undefined : timestampFromMs(caller.expiresAt);
  if (caller.kind === "api_key") {
    return {
      active: true,
      kind: TokenKind.API_KEY,
      subject: caller.userId,
      tenantId: caller.tenantId ?? "",
      roles: caller.roles,
      scopes: caller.scopes ?? [],
      expireTime,
    };
  }
  return {
    active: true,
    kind: TokenKind.ACCESS_TOKEN,
    subject: caller.userId,
    sessionId: caller.sessionId ?? "",
    tenantId: caller.tenantId ?? "",
    roles: caller.roles,
    amr: caller.amr,
    expireTime,
  };
}

/** What SessionService needs: the session and API-key features, and the credential check. */
export interface SessionServiceDeps {
  sessions: Sessions;
  apiKeys: ApiKeys;
  credentials: TokenAuthenticator;
}

export function sessionService(app: SessionServiceDeps): Partial<ServiceImpl<typeof SessionService>> {
  return {
    async getSession(req, ctx) {
      // Without an id, the caller's own session (so a session is needed); with one, any session of
      // the caller's, readable like ListSessions (an API key with "sessions:read" may ask).
      const caller = req.sessionId === "" ? requireSession(ctx) : requireCaller(ctx, "sessions:read");
      const sessionId = req.sessionId === "" ? (caller.sessionId as string) : req.sessionId;
      const session = await app.sessions.get(caller.userId, sessionId);
      return { session: sessionMessage(session, caller.sessionId) };
    },
    async listSessions(req, ctx) {
      const caller = requireCaller(ctx, "sessions:read");
      const page = await app.sessions.listPage(caller.userId, toPageRequest(req));
      return {
        sessions: page.items.map((s) => sessionMessage(s, caller.sessionId)),
        nextPageToken: page.nextPageToken,
      };
    },
    async revokeSession(req, ctx) {
      const caller = requireCaller(ctx, "sessions:write");
      await app.sessions.revoke(caller.userId, req.sessionId, clientInfo(ctx));
      return {};
    },
    async revokeAllSessions(req, ctx) {
      const caller = requireCaller(ctx, "sessions:write");
      const scope = sessionScope(req.endSessions, "all", ["all", "others"]);
      const except = scope === "others" ? caller.sessionId : undefined;
      const revoked = await app.sessions.endAll(caller.userId, except);
      return { revokedSessions: revoked };
    },
    validateToken: (req) => validateToken(app.credentials, req),
    async createApiKey(req, ctx) {
      const caller = requireSession(ctx);
      const { key, secret } = await app.apiKeys.create(
        caller,
        req.currentPassword,
        {
          name: req.name,
          scopes: req.scopes,
          expiresAt: req.expireTime ? timestampMs(req.expireTime) : undefined,
        },
        clientInfo(ctx),
      );
      return { apiKey: apiKeyMessage(key), secret };
    },
    async listApiKeys(req, ctx) {
      const caller = requireSession(ctx);
      const page = await app.apiKeys.listPage(caller.userId, toPageRequest(req));
      return { apiKeys: page.items.map(apiKeyMessage), nextPageToken: page.nextPageToken };
    },
    async getApiKey(req, ctx) {
      const caller = requireSession(ctx);
      return { apiKey: apiKeyMessage(await app.apiKeys.get(caller.userId, req.apiKeyId)) };
    },
    async revokeApiKey(req, ctx) {
      const caller = requireSession(ctx);
      await app.apiKeys.revoke(caller.userId, req.apiKeyId, clientInfo(ctx));
      return {};
    },
  };
}
