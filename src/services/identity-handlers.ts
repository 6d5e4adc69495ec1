// AuthService handlers for provider sign-in and linked identities (the Identities face). Merged into
// AuthService in routes.ts.
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import type { AuthService } from "../../gen/authd/v1/auth_pb.js";
import type { Clock } from "../clock.js";
import type { Identities } from "../domain/identities/index.js";
import type { CookieSettings } from "../http/session-cookies.js";
import { clientInfo, requireCaller, requireSession } from "./caller.js";
import {
  fromLinkIdentityRequest,
  fromLoginWithProviderRequest,
  toLinkedIdentityMessage,
} from "./mapping/identities.js";
import { fromSignInRequest, toSignInResponseMessage } from "./mapping/sign-in.js";

/** What provider sign-in needs: the identities feature, cookie settings (cookie mode), the clock. */
export interface IdentityHandlerDeps {
  identities: Identities;
  cookies: CookieSettings;
  clock: Clock;
}

export function identityHandlers(app: IdentityHandlerDeps): Partial<ServiceImpl<typeof AuthService>> {
  const { identities } = app;
  return {
    async loginWithProvider(req, ctx) {
      const signIn = fromSignInRequest(req, ctx, app);
      const result = await identities.loginWithProvider(
        fromLoginWithProviderRequest(req, signIn),
        clientInfo(ctx),
      );
      return toSignInResponseMessage(result, ctx, app, signIn.options);
    },
    async listLinkedIdentities(_req, ctx) {
      const caller = requireCaller(ctx, "profile:read");
      const listed = await identities.listLinkedIdentities(caller.userId);
      return {
        identities: listed.identities.map(toLinkedIdentityMessage),
        hasPassword: listed.hasPassword,
        configuredProviders: listed.configuredProviders,
      };
    },
    async linkIdentity(req, ctx) {
      const row = await identities.linkIdentity(
        requireSession(ctx),
        fromLinkIdentityRequest(req),
        clientInfo(ctx),
      );
      return { identity: toLinkedIdentityMessage(row) };
    },
    async unlinkIdentity(req, ctx) {
      await identities.unlinkIdentity(
        requireSession(ctx),
        req.identityId,
        req.currentPassword,
        clientInfo(ctx),
      );
      return {};
    },
    async getProviderTokens(req, ctx) {
      const tokens = await identities.getProviderTokens(
        requireSession(ctx),
        req.identityId,
        req.currentPassword,
      );
      return {
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken,
        updateTime: tokens.updatedAt === null ? undefined : timestampFromMs(tokens.updatedAt),
      };
    },
  };
}
