// AuthService handlers for provider sign-in and linked identities (domain/identities). Merged into
// AuthService in routes.ts.
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { type AuthService, type LinkedIdentity, LinkedIdentitySchema } from "../../gen/authd/v1/auth_pb.js";
import { AuthMethod } from "../../gen/authd/v1/common_pb.js";
import type { Clock } from "../clock.js";
import type { IdentityDeps } from "../domain/identities/deps.js";
import {
  getProviderTokens,
  linkIdentity,
  listLinkedIdentities,
  unlinkIdentity,
} from "../domain/identities/linking.js";
import { loginWithProvider } from "../domain/identities/sign-in.js";
import { type CookieSettings, offeredDeviceToken, setSessionCookies } from "../http/session-cookies.js";
import type { LinkedIdentityEntity } from "../store/entities/linked-identity.js";
import { clientInfo, requestInfo, requireCaller, requireSession } from "./caller.js";
import { toMfaChallengeProto } from "./mfa-mappers.js";
import { toTokenPair } from "./token-mapper.js";

export function toLinkedIdentityProto(row: LinkedIdentityEntity): LinkedIdentity {
  return create(LinkedIdentitySchema, {
    id: row.id,
    provider: row.provider,
    subject: row.subject,
    email: row.email,
    createTime: timestampFromMs(row.createdAt),
    lastSignInTime: timestampFromMs(row.lastSignInAt),
    hasProviderTokens: row.tokensSealed !== null,
  });
}

/** What provider sign-in needs: the identities feature, cookie settings (cookie mode), the clock. */
export interface IdentityHandlerDeps {
  identities: IdentityDeps;
  cookies: CookieSettings;
  clock: Clock;
}

export function identityHandlers(app: IdentityHandlerDeps): Partial<ServiceImpl<typeof AuthService>> {
  const deps = app.identities;
  return {
    async loginWithProvider(req, ctx) {
      const cookieMode = req.authMethod === AuthMethod.COOKIE;
      const result = await loginWithProvider(
        deps,
        {
          provider: req.provider,
          idToken: req.idToken,
          accessToken: req.accessToken,
          refreshToken: req.refreshToken,
          nonce: req.nonce,
          deviceToken: offeredDeviceToken(req.deviceToken, requestInfo(ctx).cookies, app.cookies),
          options: {
            durationSeconds: req.sessionDuration ? Number(req.sessionDuration.seconds) : undefined,
            authMethod: cookieMode ? "cookie" : "token",
            signOutOtherSessions: req.signOutOtherSessions,
          },
        },
        clientInfo(ctx),
      );
      if (result.kind === "challenge") {
        return { result: { case: "mfaChallenge", value: toMfaChallengeProto(result.challenge) } };
      }
      if (cookieMode) setSessionCookies(ctx, result.tokens, app.cookies, app.clock.now());
      return { result: { case: "tokens", value: toTokenPair(result.tokens, !cookieMode) } };
    },
    async listLinkedIdentities(_req, ctx) {
      const caller = requireCaller(ctx, "profile:read");
      const { identities, hasPassword } = await listLinkedIdentities(deps, caller.userId);
      return { identities: identities.map(toLinkedIdentityProto), hasPassword };
    },
    async linkIdentity(req, ctx) {
      const caller = requireSession(ctx);
      const row = await linkIdentity(
        deps,
        caller,
        {
          provider: req.provider,
          idToken: req.idToken,
          accessToken: req.accessToken,
          refreshToken: req.refreshToken,
          nonce: req.nonce,
          currentPassword: req.currentPassword,
        },
        clientInfo(ctx),
      );
      return { identity: toLinkedIdentityProto(row) };
    },
    async unlinkIdentity(req, ctx) {
      await unlinkIdentity(deps, requireSession(ctx).userId, req.identityId, clientInfo(ctx));
      return {};
    },
    async getProviderTokens(req, ctx) {
      const tokens = await getProviderTokens(deps, requireSession(ctx).userId, req.identityId);
      return {
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken,
        updateTime: tokens.updatedAt === null ? undefined : timestampFromMs(tokens.updatedAt),
      };
    },
  };
}
