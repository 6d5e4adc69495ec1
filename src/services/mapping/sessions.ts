// Sessions, API keys and validated tokens, between the domain's records and SessionService's messages.
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import type { SessionSchema } from "../../../gen/authd/v1/common_pb.js";
import {
  type ApiKeySchema,
  type CreateApiKeyRequest,
  TokenKind,
  type ValidateTokenResponseSchema,
} from "../../../gen/authd/v1/session_pb.js";
import type { Caller } from "../../domain/callers.js";
import type { ApiKeyRecord, NewApiKey, SessionView } from "../../domain/sessions/index.js";

/** A session as its owner sees it; `current` marks the one the request came with. */
export function toSessionMessage(
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

/** A key as its owner sees it: never its secret or the secret's hash. */
export function toApiKeyMessage(key: ApiKeyRecord): MessageInitShape<typeof ApiKeySchema> {
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

/** What CreateApiKey asks for (its password goes to the use case on its own). */
export function fromCreateApiKeyRequest(req: CreateApiKeyRequest): NewApiKey {
  return {
    name: req.name,
    scopes: req.scopes,
    expiresAt: req.expireTime ? timestampMs(req.expireTime) : undefined,
  };
}

/** ValidateToken's answer: inactive, or what the token stands for, by its kind. */
export function toValidateTokenResponseMessage(
  caller: Caller | null,
): MessageInitShape<typeof ValidateTokenResponseSchema> {
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
