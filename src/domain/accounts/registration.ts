import { checkContinueUrl, storedContinueUrl } from "../continue-url.js";
import {
  failedPrecondition,
  invalidArgument,
  resourceExhausted,
  unusableEmailedToken,
  withReason,
} from "../errors.js";
import { consumeToken, issueToken, peekToken, voidTokens } from "../one-time-tokens.js";
import { checkPasswordPolicy } from "../passwords.js";
import type { AccountRepositories } from "../persistence.js";
import type { ClientInfo } from "../ports.js";
import { activateForVerifiedAdmin, holdTenantToActivate } from "../tenants/pending.js";
import { DEFAULT_TENANT_ID } from "../tenants/records.js";
import { mailableTenantId, requireActiveTenant } from "../tenants/scope.js";
import { commit, type Transaction } from "../unit-of-work.js";
import { acceptedAgreements, checkAcceptedVersion } from "./agreements.js";
import type { AccountDeps } from "./deps.js";
import { newAccount } from "./new-account.js";
import type { AccountRecord } from "./persistence.js";
import { findUserByEmail, getUserOrThrow, isUniqueViolation } from "./users.js";
import {
  checkLanguage,
  checkMobile,
  checkName,
  checkTimezone,
  normalizeEmail,
  normalizeUsername,
  requireNonEmpty,
} from "./validation.js";

export interface RegisterInput {
  email: string;
  password: string;
  username: string;
  firstName: string;
  lastName: string;
  mobile: string;
  language: string;
  timezone: string;
  captchaToken: string;
  acceptedTermsVersion: string;
  acceptedPrivacyVersion: string;
  /** Where the verification link sends the user afterwards; "" for nowhere. */
  continueUrl: string;
  /** The tenant's slug; empty means the default tenant. */
  tenant: string;
}

export async function checkCaptcha(deps: AccountDeps, token: string, client: ClientInfo): Promise<void> {
  if (!(await deps.captcha.verify(token, client.ip))) {
    throw withReason(
      "CAPTCHA_FAILED",
      invalidArgument("captcha_token", "captcha verification failed or the token is missing"),
    );
  }
}

/**
 * The key of the per-address email limit. Counted per tenant account: one address may have an
 * account in several tenants, and requests in one must not use up another's allowance.
 */
export const emailLimitKey = (tenantId: string, email: string) => `email:${tenantId}:${email}`;

/** Counts one request against a limit and refuses it with the wait when over. */
export async function limit(deps: AccountDeps, key: string, max: number, what: string): Promise<void> {
  const result = await deps.rateLimiter.consume(key, max, deps.config.rateLimitWindowSeconds);
  if (!result.allowed) throw resourceExhausted(`too many ${what}`, result.retryAfterSeconds);
}

/**
 * Checks a registration and records it as work for after the answer (see createAccount). Only
 * checks that look at the request alone happen before the answer: they give the same result for a
 * known and an unknown email. Whether the email or the username is taken is never answered; the
 * mailbox owner is told by email instead (after-reply.ts). A deployment that signs in at
 * registration does the work before answering instead (registration-sign-in.ts).
 */
export async function register(deps: AccountDeps, input: RegisterInput, client: ClientInfo): Promise<void> {
  await deps.afterReply.defer("register", await admitRegistration(deps, input, client));
}

/**
 * The checks of a registration that look at the request alone, the tenant it names (slugs are
 * public: an unknown or suspended one says nothing about its accounts), and the hash every request
 * pays.
 */
export async function admitRegistration(
  deps: AccountDeps,
  input: RegisterInput,
  client: ClientInfo,
): Promise<RegisterWork & { tenantId: string }> {
  const user = checkNewUser(deps, input);
  const tenant = await deps.uow.read((reads) => requireActiveTenant(reads, input.tenant));
  const emailKey = emailLimitKey(tenant.id, user.email);
  return admitNewUser(deps, user, input, client, tenant.id, emailKey);
}

/** A new user's fields, checked from the request alone (Register, RegisterCompany). */
export function checkNewUser(
  deps: AccountDeps,
  input: Omit<RegisterInput, "captchaToken" | "tenant">,
): Pick<RegisterWork, "email" | "username" | "profile" | "agreements" | "continueUrl"> {
  const email = normalizeEmail(input.email);
  const username = normalizeUsername(input.username);
  requireNonEmpty(input.password, "password");
  checkPasswordPolicy(input.password, deps.config.passwordMinLength, { email, username }, "password");
  const profile = {
    firstName: checkName(input.firstName, "first_name"),
    lastName: checkName(input.lastName, "last_name"),
    mobile: checkMobile(input.mobile),
    language: checkLanguage(input.language),
    timezone: checkTimezone(input.timezone),
  };
  const agreements = {
    terms: checkAcceptedVersion(
      input.acceptedTermsVersion,
      deps.config.requiredTermsVersion,
      "accepted_terms_version",
    ),
    privacy: checkAcceptedVersion(
      input.acceptedPrivacyVersion,
      deps.config.requiredPrivacyVersion,
      "accepted_privacy_version",
    ),
  };
  const continueUrl = checkContinueUrl(input.continueUrl, deps.config.continueUrlAllowList);
  return { email, username, profile, agreements, continueUrl };
}

/**
 * The captcha and the limits of a new user (the address's counted under `emailKey`), then the hash
 * every request pays, so a new and an existing address take the same time.
 */
export async function admitNewUser(
  deps: AccountDeps,
  user: ReturnType<typeof checkNewUser>,
  input: { password: string; captchaToken: string },
  client: ClientInfo,
  tenantId: string,
  emailKey: string,
): Promise<RegisterWork & { tenantId: string }> {
  await checkCaptcha(deps, input.captchaToken, client);
  await limit(
    deps,
    `register:ip:${client.rateLimitKey}`,
    deps.config.registrationsPerIp,
    "registrations from this address",
  );
  await limit(deps, emailKey, deps.config.emailsPerAddress, "emails to this address");
  const passwordHash = await deps.hasher.hash(input.password);
  return { ...user, tenantId, passwordHash, now: deps.clock.now(), client };
}

/** What Register leaves for after the reply (after-reply.ts). */
export interface RegisterWork {
  /** Absent in work recorded before accounts had tenants: the default tenant. */
  tenantId?: string;
  email: string;
  username: string | null;
  profile: Pick<AccountRecord, "firstName" | "lastName" | "mobile" | "language" | "timezone">;
  /** The terms and privacy-policy versions accepted ("" for none). Absent in work recorded before them. */
  agreements?: { terms: string; privacy: string };
  /** Absent in work recorded before continue URLs. */
  continueUrl?: string;
  passwordHash: string;
  now: number;
  client: ClientInfo;
}

/**
 * Creates the account, or tells the mailbox why not. A registration racing another for the same
 * email or username fails on the unique key here; its retry finds the conflict and sends the notice.
 */
export async function createAccount(
  deps: AccountDeps,
  tx: Transaction<AccountRepositories>,
  work: RegisterWork,
): Promise<void> {
  const tenantId = work.tenantId ?? DEFAULT_TENANT_ID;
  if (await noticeOfConflict(deps, tx, tenantId, work.email, work.username)) return;
  await insertAccount(deps, tx, work);
}

/**
 * Inserts the new, unverified account of `work` in its tenant, with `roles`, and mails its
 * verification link; answers its id.
 */
export async function insertAccount(
  deps: AccountDeps,
  tx: Transaction<AccountRepositories>,
  work: RegisterWork,
  roles: string[] = [],
): Promise<string> {
  const { email, username, now, client } = work;
  const tenantId = work.tenantId ?? DEFAULT_TENANT_ID;
  const user = newAccount(now, {
    tenantId,
    email,
    emailVerified: false,
    username,
    ...work.profile,
    ...acceptedAgreements(work),
    passwordHash: work.passwordHash,
    roles,
  });

  await tx.accounts.insert(user);
  await sendVerification(deps, tx, user.id, email, now, work.continueUrl ?? "");
  await tx.audit.record(now, "user.registered", user.id, client, { tenantId });
  return user.id;
}

/**
 * When the email has an account, tells its owner someone tried to register; when the username is
 * taken, tells the mailbox that no account was made (never who has the username). Answers whether
 * there was a conflict.
 */
async function noticeOfConflict(
  deps: AccountDeps,
  tx: Transaction<AccountRepositories>,
  tenantId: string,
  email: string,
  username: string | null,
): Promise<boolean> {
  const existing = await findUserByEmail(tx, tenantId, email);
  if (existing) {
    await deps.mail.registrationAttempt(tx, existing.email);
    return true;
  }
  if (username !== null && (await tx.accounts.findByUsername(tenantId, username))) {
    await deps.mail.registrationUsernameTaken(tx, email, username);
    return true;
  }
  return false;
}

/** Answers the continue_url the link was requested with ("" for none). */
export async function verifyEmail(
  deps: AccountDeps,
  token: string,
  client: ClientInfo,
): Promise<{ continueUrl: string }> {
  requireNonEmpty(token, "token");
  const now = deps.clock.now();
  const done = deps.uow.run(async (tx) => {
    const link = await peekToken(tx, now, "verify_email", token);
    if (link) await holdTenantToActivate(tx, link.userId);
    const verification = await consumeToken(tx, now, "verify_email", token);
    if (verification) {
      const user = await getUserOrThrow(tx, verification.userId);
      await tx.accounts.update(user.id, { emailVerified: true, updatedAt: now });
      await tx.audit.record(now, "email.verified", user.id, client);
      // RegisterCompany's first admin: the company is real now.
      await activateForVerifiedAdmin(tx, user, now, client);
      return commit(storedContinueUrl(verification.payload.continueUrl, deps.config.continueUrlAllowList));
    }
    const change = await consumeToken(tx, now, "change_email", token);
    if (!change) throw unusableEmailedToken();
    const newEmail = change.payload.email;
    if (!newEmail) throw unusableEmailedToken();
    const user = await getUserOrThrow(tx, change.userId);
    if (await findUserByEmail(tx, user.tenantId, newEmail))
      throw failedPrecondition("the new email address is already in use");
    const oldEmail = user.email;
    await tx.accounts.update(user.id, { email: newEmail, emailVerified: true, updatedAt: now });
    // The email factor is "the account's email": its codes follow the address to the new mailbox,
    // and codes already sent to the old one (which may be why it was given up) stop working.
    await tx.accountData.moveEmailFactor(user.id, oldEmail, newEmail);
    // Links mailed to the old address (a reset above all) must not outlive the move away from it.
    await voidTokens(tx, now, user.id, ["reset_password", "deactivate", "delete", "verify_email"]);
    await deps.mail.emailChanged(tx, oldEmail, newEmail);
    await tx.audit.record(now, "email.changed", user.id, client);
    return commit(storedContinueUrl(change.payload.continueUrl, deps.config.continueUrlAllowList));
  });
  // Two accounts confirming a move to one address at once both pass the check above; the UNIQUE
  // index refuses the second (PostgreSQL), which gets the same answer as the check's.
  const continueUrl = await done.catch((error: unknown) => {
    if (isUniqueViolation(error)) throw failedPrecondition("the new email address is already in use");
    throw error;
  });
  return { continueUrl };
}

/** Who a public "email me" request names: an account's email in a tenant. */
export interface EmailRequest {
  email: string;
  /** The tenant's slug; empty means the default tenant. */
  tenant: string;
  captchaToken: string;
}

export async function resendVerification(
  deps: AccountDeps,
  request: EmailRequest,
  client: ClientInfo,
  rawContinueUrl = "",
): Promise<void> {
  const continueUrl = checkContinueUrl(rawContinueUrl, deps.config.continueUrlAllowList);
  const { email, tenantId } = await admitEmailRequest(deps, request, client);
  // An unknown or suspended tenant has no account to mail: the same answer, nothing to do.
  if (tenantId === null) return;
  const work: ResendWork = { tenantId, email, now: deps.clock.now(), continueUrl };
  await deps.afterReply.defer("resend_verification", work);
}

/**
 * The gate of every public "email me" RPC: a valid address, the captcha, and the per-IP and
 * per-address limits, counted whether or not the address is registered. Answers the address and
 * the id of the active tenant named (null when none: such a request reaches no account, and its
 * answer is the one for an unknown account).
 */
export async function admitEmailRequest(
  deps: AccountDeps,
  request: EmailRequest,
  client: ClientInfo,
): Promise<{ email: string; tenantId: string | null }> {
  const email = normalizeEmail(request.email);
  const tenantId = await admitMailRequest(
    deps,
    request,
    client,
    (tenantKey) => emailLimitKey(tenantKey, email),
    "emails to this address",
  );
  return { email, tenantId };
}

/**
 * The gate of every request that may email an account named by the caller: the captcha, the limit
 * per client address, the tenant, then the limit per recipient (`recipientKey` of the tenant's key).
 * Answers the tenant's id, or null for an unknown or suspended tenant (whose requests are counted
 * under a key of their own: the answer must not tell it apart from a known tenant's by when the
 * limit starts refusing).
 */
export async function admitMailRequest(
  deps: AccountDeps,
  request: { tenant: string; captchaToken: string },
  client: ClientInfo,
  recipientKey: (tenantKey: string) => string,
  recipient: string,
): Promise<string | null> {
  await checkCaptcha(deps, request.captchaToken, client);
  await limit(
    deps,
    `email:ip:${client.rateLimitKey}`,
    deps.config.emailsPerIp,
    "email requests from this address",
  );
  const tenantId = await deps.uow.read((reads) => mailableTenantId(reads, request.tenant));
  const tenantKey = tenantId ?? `unknown:${request.tenant.slice(0, 63)}`;
  await limit(deps, recipientKey(tenantKey), deps.config.emailsPerAddress, recipient);
  return tenantId;
}

async function sendVerification(
  deps: AccountDeps,
  tx: Transaction<AccountRepositories>,
  userId: string,
  email: string,
  now: number,
  continueUrl: string,
) {
  const ttl = deps.config.emailVerificationTtlSeconds;
  const { token, expiresAt } = await issueToken(tx, now, "verify_email", userId, ttl, { continueUrl });
  await deps.mail.verifyEmail(tx, email, token, expiresAt - now, continueUrl);
}

/** What ResendVerificationEmail leaves for after the reply. */
export interface ResendWork {
  /** Absent in work recorded before accounts had tenants: the default tenant. */
  tenantId?: string;
  email: string;
  now: number;
  /** Absent in work recorded before continue URLs. */
  continueUrl?: string;
}

export async function issueVerification(
  deps: AccountDeps,
  tx: Transaction<AccountRepositories>,
  work: ResendWork,
): Promise<void> {
  const user = await findUserByEmail(tx, work.tenantId ?? DEFAULT_TENANT_ID, work.email);
  if (!user || user.emailVerified || user.status !== "active") return;
  await sendVerification(deps, tx, user.id, work.email, work.now, work.continueUrl ?? "");
}

export async function checkEmail(
  deps: AccountDeps,
  request: { email: string; tenant: string },
  client: ClientInfo,
): Promise<boolean> {
  const email = normalizeEmail(request.email);
  await limit(
    deps,
    `check-email:ip:${client.rateLimitKey}`,
    deps.config.emailsPerIp,
    "lookups from this address",
  );
  if (!deps.config.revealAccounts) {
    throw failedPrecondition("CheckEmail is turned off on this server (AUTHD_REVEAL_ACCOUNTS)");
  }
  // CheckEmail reveals accounts by design; an unknown tenant is said to be one (slugs are public).
  return deps.uow.read(async (reads) => {
    const tenant = await requireActiveTenant(reads, request.tenant);
    return (await findUserByEmail(reads, tenant.id, email)) !== null;
  });
}
