// AuthService handlers of the accounts feature: proto in, one call of the Accounts face, proto out.
// Refresh and Logout live with the session code (auth-session-handlers.ts), provider sign-in with
// the identities (identity-handlers.ts); routes.ts merges them.

import type { ServiceImpl } from "@connectrpc/connect";
import type { AuthService } from "../../gen/authd/v1/auth_pb.js";
import type { Clock } from "../clock.js";
import { type Accounts, changesPersonalFields, type SessionPolicy } from "../domain/accounts/index.js";
import { type CookieSettings } from "../http/session-cookies.js";
import { clientInfo, requireCaller, requireSession } from "./caller.js";
import { fromSignInRequest, toSignInResponseMessage } from "./mapping/sign-in.js";
import { toTenantMessage } from "./mapping/tenants.js";
import { toTokenPairMessage } from "./mapping/tokens.js";
import { fromRegisterRequest, fromUpdateCurrentUserRequest, toUserMessage } from "./mapping/users.js";
import { sessionScope } from "./session-scope.js";

/** ChangePassword's end_sessions: every other session by default (ASVS 7.4.3 offers it). */
const passwordChangePolicies: Record<"none" | "others" | "all", SessionPolicy> = {
  none: "keep",
  others: "revoke_others",
  all: "revoke_all",
};

/** What the account RPCs need: the accounts feature, cookie settings (Login in cookie mode), the clock. */
export interface AccountHandlerDeps {
  accounts: Accounts;
  cookies: CookieSettings;
  clock: Clock;
}

export function accountHandlers(app: AccountHandlerDeps): Partial<ServiceImpl<typeof AuthService>> {
  const { accounts } = app;
  return {
    async register(req, ctx) {
      const tokens = await accounts.register(fromRegisterRequest(req), clientInfo(ctx));
      return tokens === null ? {} : { tokens: toTokenPairMessage(tokens, true) };
    },
    async registerCompany(req, ctx) {
      const tenant = await accounts.registerCompany(
        {
          companyName: req.companyName,
          companySlug: req.companySlug,
          user: fromRegisterRequest(req.user),
          captchaToken: req.captchaToken,
        },
        clientInfo(ctx),
      );
      return { tenant: toTenantMessage(tenant) };
    },
    async verifyEmail(req, ctx) {
      return accounts.verifyEmail(req.token, clientInfo(ctx));
    },
    async resendVerificationEmail(req, ctx) {
      await accounts.resendVerificationEmail(req, clientInfo(ctx), req.continueUrl);
      return {};
    },
    async checkEmail(req, ctx) {
      return { exists: await accounts.checkEmail(req, clientInfo(ctx)) };
    },
    async login(req, ctx) {
      const { deviceToken, options } = fromSignInRequest(req, ctx, app);
      const result = await accounts.login(
        { identifier: req.identifier, password: req.password, deviceToken, options, tenant: req.tenant },
        clientInfo(ctx),
      );
      return toSignInResponseMessage(result, ctx, app, options);
    },
    async changePassword(req, ctx) {
      const caller = requireSession(ctx);
      await accounts.changePassword(
        {
          userId: caller.userId,
          sessionId: caller.sessionId,
          oldPassword: req.currentPassword,
          newPassword: req.newPassword,
          sessionPolicy:
            passwordChangePolicies[sessionScope(req.endSessions, "others", ["none", "others", "all"])],
        },
        clientInfo(ctx),
      );
      return {};
    },
    async requestPasswordReset(req, ctx) {
      await accounts.requestPasswordReset(
        { email: req.email, username: req.username, captchaToken: req.captchaToken, tenant: req.tenant },
        clientInfo(ctx),
        req.continueUrl,
      );
      return {};
    },
    async checkPasswordResetToken(req) {
      return { valid: await accounts.checkPasswordResetToken(req.token) };
    },
    async resetPassword(req, ctx) {
      return accounts.resetPassword(req.token, req.newPassword, clientInfo(ctx));
    },
    async getCurrentUser(_req, ctx) {
      const caller = requireCaller(ctx, "profile:read");
      return { user: toUserMessage(await accounts.getCurrentUser(caller.userId), caller) };
    },
    async updateCurrentUser(req, ctx) {
      // Profile fields may be changed with an API key holding profile:write; the sign-in identifiers
      // (email, mobile number, username) only from a signed-in session (they also need the password).
      // Accepting terms is the user's own act, so also session-only.
      const identifier = req.email !== undefined || req.mobile !== undefined || req.username !== undefined;
      const acceptance = req.acceptedTermsVersion !== undefined || req.acceptedPrivacyVersion !== undefined;
      const caller = identifier || acceptance ? requireSession(ctx) : requireCaller(ctx, "profile:write");
      const changes = fromUpdateCurrentUserRequest(req);
      if (changesPersonalFields(changes.fields)) requireCaller(ctx, "profile:personal");
      const user = await accounts.updateCurrentUser(caller, changes, clientInfo(ctx));
      return { user: toUserMessage(user, caller) };
    },
    async requestDeactivation(req, ctx) {
      const userId = requireSession(ctx).userId;
      await accounts.requestDeactivation(userId, req.currentPassword, req.continueUrl);
      return {};
    },
    async confirmDeactivation(req, ctx) {
      return accounts.confirmDeactivation(req.token, clientInfo(ctx));
    },
    async requestDeletion(req, ctx) {
      const userId = requireSession(ctx).userId;
      await accounts.requestDeletion(userId, req.currentPassword, req.continueUrl);
      return {};
    },
    async confirmDeletion(req, ctx) {
      return accounts.confirmDeletion(req.token, clientInfo(ctx));
    },
  };
}
