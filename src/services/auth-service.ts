// AuthService handlers: proto in, domain call, proto out. Refresh and Logout live with the session
// code (auth-session-handlers.ts) and are merged in routes.ts.

import type { ServiceImpl } from "@connectrpc/connect";
import type { AuthService } from "../../gen/authd/v1/auth_pb.js";
import type { Clock } from "../clock.js";
import { confirmDeactivation, confirmDeletion, requestClosure } from "../domain/accounts/closure.js";
import type { AccountDeps } from "../domain/accounts/deps.js";
import { login } from "../domain/accounts/login.js";
import {
  changePassword,
  checkPasswordResetToken,
  type SessionPolicy as DomainSessionPolicy,
  requestPasswordReset,
  resetPassword,
} from "../domain/accounts/password-flows.js";
import { getUser, updateUser } from "../domain/accounts/profile.js";
import { changesPersonalFields } from "../domain/accounts/profile-fields.js";
import { checkEmail, register, resendVerification, verifyEmail } from "../domain/accounts/registration.js";
import { registerAndSignIn } from "../domain/accounts/registration-sign-in.js";
import { registerCompany } from "../domain/tenants/company-registration.js";
import { type CookieSettings } from "../http/session-cookies.js";
import { toTenantProto } from "./admin-service.js";
import { clientInfo, requireCaller, requireSession } from "./caller.js";
import { sessionScope } from "./session-scope.js";
import { signInInput, toSignInResponse } from "./sign-in-mapper.js";
import { toTokenPair } from "./token-mapper.js";
import { postalAddressChange, userSeenBy } from "./user-mapper.js";

/** ChangePassword's end_sessions: every other session by default (ASVS 7.4.3 offers it). */
const passwordChangePolicies: Record<"none" | "others" | "all", DomainSessionPolicy> = {
  none: "keep",
  others: "revoke_others",
  all: "revoke_all",
};

/** The session a registration signs in to (AUTHD_SIGN_IN_AT_REGISTRATION): the defaults, in the body. */
const REGISTRATION_SESSION = {
  durationSeconds: undefined,
  authMethod: "token",
  signOutOtherSessions: false,
} as const;

/** What the account RPCs need: the accounts feature, cookie settings (Login in cookie mode), the clock. */
export interface AccountHandlerDeps {
  accounts: AccountDeps;
  cookies: CookieSettings;
  clock: Clock;
}

export function accountHandlers(app: AccountHandlerDeps): Partial<ServiceImpl<typeof AuthService>> {
  const deps = app.accounts;
  return {
    async register(req, ctx) {
      if (!deps.config.signInAtRegistration) {
        await register(deps, { ...req }, clientInfo(ctx));
        return {};
      }
      const { tokens } = await registerAndSignIn(deps, { ...req }, REGISTRATION_SESSION, clientInfo(ctx));
      return { tokens: toTokenPair(tokens, true) };
    },
    async registerCompany(req, ctx) {
      const user = req.user;
      const tenant = await registerCompany(
        deps,
        {
          companyName: req.companyName,
          companySlug: req.companySlug,
          user: {
            email: user?.email ?? "",
            password: user?.password ?? "",
            username: user?.username ?? "",
            firstName: user?.firstName ?? "",
            lastName: user?.lastName ?? "",
            mobile: user?.mobile ?? "",
            language: user?.language ?? "",
            timezone: user?.timezone ?? "",
            acceptedTermsVersion: user?.acceptedTermsVersion ?? "",
            acceptedPrivacyVersion: user?.acceptedPrivacyVersion ?? "",
            continueUrl: user?.continueUrl ?? "",
          },
          captchaToken: req.captchaToken,
        },
        clientInfo(ctx),
      );
      return { tenant: toTenantProto(tenant) };
    },
    async verifyEmail(req, ctx) {
      return verifyEmail(deps, req.token, clientInfo(ctx));
    },
    async resendVerificationEmail(req, ctx) {
      await resendVerification(deps, req, clientInfo(ctx), req.continueUrl);
      return {};
    },
    async checkEmail(req, ctx) {
      return { exists: await checkEmail(deps, req, clientInfo(ctx)) };
    },
    async login(req, ctx) {
      const { deviceToken, options } = signInInput(req, ctx, app);
      const result = await login(
        deps,
        { identifier: req.identifier, password: req.password, deviceToken, options, tenant: req.tenant },
        clientInfo(ctx),
      );
      return toSignInResponse(result, ctx, app, options);
    },
    async changePassword(req, ctx) {
      const caller = requireSession(ctx);
      await changePassword(
        deps,
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
      await requestPasswordReset(
        deps,
        { email: req.email, username: req.username, captchaToken: req.captchaToken, tenant: req.tenant },
        clientInfo(ctx),
        req.continueUrl,
      );
      return {};
    },
    async checkPasswordResetToken(req) {
      return { valid: await checkPasswordResetToken(deps, req.token) };
    },
    async resetPassword(req, ctx) {
      return resetPassword(deps, req.token, req.newPassword, clientInfo(ctx));
    },
    async getCurrentUser(_req, ctx) {
      const caller = requireCaller(ctx, "profile:read");
      return { user: userSeenBy(caller, await getUser(deps, caller.userId)) };
    },
    async updateCurrentUser(req, ctx) {
      // Profile fields may be changed with an API key holding profile:write; the sign-in identifiers
      // (email, mobile number, username) only from a signed-in session (they also need the password).
      // Accepting terms is the user's own act, so also session-only.
      const identifier = req.email !== undefined || req.mobile !== undefined || req.username !== undefined;
      const acceptance = req.acceptedTermsVersion !== undefined || req.acceptedPrivacyVersion !== undefined;
      const caller = identifier || acceptance ? requireSession(ctx) : requireCaller(ctx, "profile:write");
      const fields = {
        birthDate: req.birthDate,
        gender: req.gender,
        title: req.title,
        maritalStatus: req.maritalStatus,
        nationality: req.nationality,
        residency: req.residency,
        idNumber: req.idNumber,
        department: req.department,
        jobTitle: req.jobTitle,
        postalAddress: postalAddressChange(req.postalAddress),
        avatarUrl: req.avatarUrl,
        externalCustomerId: req.externalCustomerId,
      };
      if (changesPersonalFields(fields)) requireCaller(ctx, "profile:personal");
      const user = await updateUser(
        deps,
        caller,
        {
          email: req.email,
          username: req.username,
          firstName: req.firstName,
          lastName: req.lastName,
          mobile: req.mobile,
          language: req.language,
          timezone: req.timezone,
          settings: req.settings,
          removeSettings: req.removeSettings,
          currentPassword: req.currentPassword,
          fields,
          acceptedTermsVersion: req.acceptedTermsVersion,
          acceptedPrivacyVersion: req.acceptedPrivacyVersion,
          continueUrl: req.continueUrl,
        },
        clientInfo(ctx),
      );
      return { user: userSeenBy(caller, user) };
    },
    async requestDeactivation(req, ctx) {
      const userId = requireSession(ctx).userId;
      await requestClosure(deps, "deactivate", userId, req.currentPassword, req.continueUrl);
      return {};
    },
    async confirmDeactivation(req, ctx) {
      return confirmDeactivation(deps, req.token, clientInfo(ctx));
    },
    async requestDeletion(req, ctx) {
      const userId = requireSession(ctx).userId;
      await requestClosure(deps, "delete", userId, req.currentPassword, req.continueUrl);
      return {};
    },
    async confirmDeletion(req, ctx) {
      return confirmDeletion(deps, req.token, clientInfo(ctx));
    },
  };
}
