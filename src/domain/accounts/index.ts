// The accounts feature's face: registration, sign-in with a password, passwords, the profile, the
// closing of an account, and RegisterCompany (a new tenant and its first account, made as Register
// makes one). Each method is one use case, the work of one AuthService RPC in its own unit of work,
// and forwards to the module that does it; each module takes only the parts it uses (deps.ts).
//
// Handlers reach the feature only through this file, with the errors (domain/errors.ts), the caller
// (domain/callers.ts) and the request's client and tokens (domain/ports.ts). Other features reach it
// inside their own transactions through its modules instead: provider sign-in ends like Login
// (issueSignIn, login.ts), and new accounts, lookups and field rules are shared (new-account.ts,
// users.ts, validation.ts).
import type { Caller } from "../callers.js";
import type { ClientInfo } from "../ports.js";
import type { IssuedTokens } from "../sessions/index.js";
import { type CompanyRegistration, registerCompany } from "../tenants/company-registration.js";
import type { TenantRecord } from "../tenants/records.js";
import type { EmailRequest } from "./admission.js";
import { confirmDeactivation, confirmDeletion, requestClosure } from "./closure.js";
import { handleAccountWork } from "./deferred.js";
import type { AccountDeps } from "./deps.js";
import { type LoginInput, type LoginResult, login } from "./login.js";
import {
  type ChangePasswordInput,
  changePassword,
  checkPasswordResetToken,
  type ResetRequest,
  requestPasswordReset,
  resetPassword,
} from "./password-flows.js";
import { getUser, type Profile, type ProfileChanges, updateUser } from "./profile.js";
import { checkEmail, type RegisterInput } from "./registration.js";
import { registerAccount } from "./registration-sign-in.js";
import { resendVerification, verifyEmail } from "./verification.js";

export type { CompanyRegistration } from "../tenants/company-registration.js";
export type { TenantRecord } from "../tenants/records.js";
export type { EmailRequest } from "./admission.js";
export type { AccountDeps, AccountSettings } from "./deps.js";
export type { LoginInput, LoginResult } from "./login.js";
export type { ChangePasswordInput, ResetRequest, SessionPolicy } from "./password-flows.js";
export type { Profile, ProfileChanges } from "./profile.js";
export {
  changesPersonalFields,
  type PostalAddress,
  type ProfileFieldChanges,
  withoutPersonalFields,
} from "./profile-fields.js";
export type { RegisterInput } from "./registration.js";

/** Where an emailed link brings the user back: the continue_url it was asked with ("" for none). */
export interface LinkFollowed {
  continueUrl: string;
}

export interface Accounts {
  /**
   * Register: checks the request alone (fields, password policy, agreements, continue URL, tenant,
   * captcha, the per-address and per-IP limits) and pays the password hash. By default answers null
   * before the account exists: it is made after the answer, and a taken address or username is told
   * to its mailbox, never in the answer. Where the deployment signs in at registration, makes the
   * account now and answers its first session's tokens; a taken email or username is then
   * ALREADY_EXISTS. Errors: invalid_argument (a field, the captcha, the tenant), resource_exhausted,
   * unavailable (the hashing queue is full).
   */
  register(input: RegisterInput, client: ClientInfo): Promise<IssuedTokens | null>;
  /**
   * RegisterCompany: a pending tenant and its first user, its administrator, made like Register's
   * (unverified, a verification link mailed, which activates the tenant). Answers the tenant.
   * Errors: invalid_argument (company fields, or `user.`-prefixed ones), already_exists (the slug),
   * resource_exhausted, unavailable.
   */
  registerCompany(input: CompanyRegistration, client: ClientInfo): Promise<TenantRecord>;
  /**
   * VerifyEmail: spends a verification link (the address is verified; a pending company's first
   * admin activates it) or an email-change link (the account moves to the new address, the old one
   * is told). Errors: invalid_argument TOKEN_INVALID, failed_precondition (the new address is taken).
   */
  verifyEmail(token: string, client: ClientInfo): Promise<LinkFollowed>;
  /**
   * ResendVerificationEmail: the same answer whether or not the address has an unverified account;
   * the link is mailed after the answer. Errors: invalid_argument (email, captcha, continue URL),
   * resource_exhausted.
   */
  resendVerificationEmail(request: EmailRequest, client: ClientInfo, continueUrl: string): Promise<void>;
  /**
   * CheckEmail: whether the tenant's account with this address exists, where the deployment reveals
   * accounts. Errors: invalid_argument (email, tenant), resource_exhausted, failed_precondition
   * (turned off).
   */
  checkEmail(request: { email: string; tenant: string }, client: ClientInfo): Promise<boolean>;
  /**
   * Login: a session's tokens, or a challenge for the second factor. An unknown identifier, a wrong
   * password and a locked account answer alike (unauthenticated INVALID_CREDENTIALS); what stands
   * in the way of a right password is said (failed_precondition: deactivated, unverified, password
   * change required, tenant pending or suspended). Also invalid_argument, resource_exhausted,
   * unavailable.
   */
  login(input: LoginInput, client: ClientInfo): Promise<LoginResult>;
  /**
   * ChangePassword: re-authenticates, sets the new password, ends what the session policy says
   * (and API keys with other sessions), trusted devices, pending email changes and sign-ins, and
   * tells the owner. Errors: invalid_argument (new_password), failed_precondition PASSWORD_NOT_SET,
   * and re-authentication's (reauthentication.ts: unauthenticated for a wrong current password,
   * permission_denied without a recent second factor, resource_exhausted).
   */
  changePassword(input: ChangePasswordInput, client: ClientInfo): Promise<void>;
  /**
   * RequestPasswordReset: the same answer whether or not the email or username has an account; the
   * link is mailed after the answer. Errors: invalid_argument (email or username, captcha, continue
   * URL), resource_exhausted.
   */
  requestPasswordReset(request: ResetRequest, client: ClientInfo, continueUrl: string): Promise<void>;
  /** CheckPasswordResetToken: whether the reset link can still be used. Errors: invalid_argument. */
  checkPasswordResetToken(token: string): Promise<boolean>;
  /**
   * ResetPassword: spends the link, sets the password and verifies the address, and recovers the
   * account: every session, API key, trusted device, linked identity, emailed link and pending
   * sign-in ends, and a lock lifts. Errors: invalid_argument (TOKEN_INVALID, new_password),
   * unavailable.
   */
  resetPassword(token: string, newPassword: string, client: ClientInfo): Promise<LinkFollowed>;
  /** GetCurrentUser: the account without its credentials (briefly cached). Errors: not_found. */
  getCurrentUser(userId: string): Promise<Profile>;
  /**
   * UpdateCurrentUser: changes the fields given and answers the profile. The email, mobile number
   * and username re-authenticate first; a new email is mailed a link and changes once it is
   * followed. Errors: invalid_argument (a field), already_exists (username), resource_exhausted,
   * and re-authentication's.
   */
  updateCurrentUser(
    caller: Pick<Caller, "userId" | "sessionId">,
    changes: ProfileChanges,
    client: ClientInfo,
  ): Promise<Profile>;
  /**
   * RequestDeactivation: after the password, mails the link that deactivates the account.
   * Errors: invalid_argument, unauthenticated (the password), failed_precondition LAST_ADMIN,
   * resource_exhausted.
   */
  requestDeactivation(userId: string, password: string, continueUrl: string): Promise<void>;
  /**
   * ConfirmDeactivation: spends the link, deactivates the account and ends its sessions and API
   * keys. Errors: invalid_argument TOKEN_INVALID, failed_precondition LAST_ADMIN.
   */
  confirmDeactivation(token: string, client: ClientInfo): Promise<LinkFollowed>;
  /** RequestDeletion: as RequestDeactivation, for the link that deletes the account. */
  requestDeletion(userId: string, password: string, continueUrl: string): Promise<void>;
  /**
   * ConfirmDeletion: spends the link, ends the sessions and API keys and erases the account's rows
   * (the audit trail keeps its events without their origins). Errors: as ConfirmDeactivation.
   */
  confirmDeletion(token: string, client: ClientInfo): Promise<LinkFollowed>;
}

/**
 * The face over `deps`. It also gives the work Register, ResendVerificationEmail and
 * RequestPasswordReset leave for after the answer its handlers: they record it, so the face works
 * only with them.
 */
export function createAccounts(deps: AccountDeps): Accounts {
  handleAccountWork(deps);
  return {
    register: (input, client) => registerAccount(deps, input, client),
    registerCompany: (input, client) => registerCompany(deps, input, client),
    verifyEmail: (token, client) => verifyEmail(deps, token, client),
    resendVerificationEmail: (request, client, continueUrl) =>
      resendVerification(deps, request, client, continueUrl),
    checkEmail: (request, client) => checkEmail(deps, request, client),
    login: (input, client) => login(deps, input, client),
    changePassword: (input, client) => changePassword(deps, input, client),
    requestPasswordReset: (request, client, continueUrl) =>
      requestPasswordReset(deps, request, client, continueUrl),
    checkPasswordResetToken: (token) => checkPasswordResetToken(deps, token),
    resetPassword: (token, newPassword, client) => resetPassword(deps, token, newPassword, client),
    getCurrentUser: (userId) => getUser(deps, userId),
    updateCurrentUser: (caller, changes, client) => updateUser(deps, caller, changes, client),
    requestDeactivation: (userId, password, continueUrl) =>
      requestClosure(deps, "deactivate", userId, password, continueUrl),
    confirmDeactivation: (token, client) => confirmDeactivation(deps, token, client),
    requestDeletion: (userId, password, continueUrl) =>
      requestClosure(deps, "delete", userId, password, continueUrl),
    confirmDeletion: (token, client) => confirmDeletion(deps, token, client),
  };
}
