// AuthService handlers for provider sign-in and linked identities (domain/identities). Merged into
// AuthService in routes.ts.
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { type AuthService, type LinkedIdentity, LinkedIdentitySchema } from "../../gen/authd/v1/auth_pb.js";
import type { Clock } from "../clock.js";
import type { IdentityDeps } from "../domain/identities/deps.js";
import {
  getProviderTokens,
  linkIdentity,
  listLinkedIdentities,
  unlinkIdentity,
} from "../domain/identities/linking.js";
import type { LinkedIdentityRecord } from "../domain/identities/persistence.js";
import { loginWithProvider } from "../domain/identities/sign-in.js";
import { type CookieSettings } from "../http/session-cookies.js";
import { clientInfo, requireCaller, requireSession } from "./caller.js";
import { signInInput, toSignInResponse } from "./mapping/sign-in.js";

export function toLinkedIdentityProto(row: LinkedIdentityRecord): LinkedIdentity {
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
      const { deviceToken, options } = signInInput(req, ctx, app);
      const result = await loginWithProvider(
        deps,
        {
          provider: req.provider,
          idToken: req.idToken,
          accessToken: req.accessToken,
          refreshToken: req.refreshToken,
          nonce: req.nonce,
          deviceToken,
          options,
          tenant: req.tenant,
        },
        clientInfo(ctx),
      );
      return toSignInResponse(result, ctx, app, options);
    },
    async listLinkedIdentities(_req, ctx) {
      const caller = requireCaller(ctx, "profile:read");
      const { identities, hasPassword, configuredProviders } = await listLinkedIdentities(
        deps,
        caller.userId,
      );
      return { identities: identities.map(toLinkedIdentityProto), hasPassword, configuredProviders };
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
      await unlinkIdentity(deps, requireSession(ctx), req.identityId, req.currentPassword, clientInfo(ctx));
      return {};
    },
    async getProviderTokens(req, ctx) {
      const tokens = await getProviderTokens(deps, requireSession(ctx), req.identityId, req.currentPassword);
      return {
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken,
        updateTime: tokens.updatedAt === null ? undefined : timestampFromMs(tokens.updatedAt),
      };
    },
  };
}
