// Register and CheckEmail. A registration answers before its account exists: the request is checked
// from itself alone, and the account is made after the answer (after-reply.ts), so a new and a taken
// address get the same answer and only the mailbox hears which it was. A deployment that signs in
// at registration makes the account before answering (registration-sign-in.ts).
import { checkContinueUrl } from "../continue-url.js";
import { failedPrecondition } from "../errors.js";
import { checkPasswordPolicy } from "../passwords.js";
import type { AccountRepositories } from "../persistence.js";
import type { ClientInfo } from "../ports.js";
import { DEFAULT_TENANT_ID } from "../tenants/records.js";
import { requireActiveTenant } from "../tenants/scope.js";
import type { Transaction } from "../unit-of-work.js";
import { checkCaptcha, emailLimitKey, limit } from "./admission.js";
import { acceptedAgreements, checkAcceptedVersion } from "./agreements.js";
import type { Uses } from "./deps.js";
import { newAccount } from "./new-account.js";
import type { AccountRecord } from "./persistence.js";
import { findUserByEmail } from "./users.js";
import {
  checkLanguage,
  checkMobile,
  checkName,
  checkTimezone,
  normalizeEmail,
  normalizeUsername,
  requireNonEmpty,
} from "./validation.js";
import { sendVerification } from "./verification.js";

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

/** What a registration's checks before the answer use (Register, RegisterCompany). */
export type AdmissionDeps = Uses<
  "uow" | "captcha" | "rateLimiter" | "hasher" | "clock",
  | "passwordMinLength"
  | "requiredTermsVersion"
  | "requiredPrivacyVersion"
  | "continueUrlAllowList"
  | "rateLimitWindowSeconds"
  | "registrationsPerIp"
  | "emailsPerAddress"
>;

/**
 * Checks a registration and records it as work for after the answer (see createAccount). Only
 * checks that look at the request alone happen before the answer: they give the same result for a
 * known and an unknown email. Whether the email or the username is taken is never answered; the
 * mailbox owner is told by email instead (after-reply.ts). A deployment that signs in at
 * registration does the work before answering instead (registration-sign-in.ts).
 */
export async function register(
  deps: AdmissionDeps & Uses<"afterReply">,
  input: RegisterInput,
  client: ClientInfo,
): Promise<void> {
  await deps.afterReply.defer("register", await admitRegistration(deps, input, client));
}

/**
 * The checks of a registration that look at the request alone, the tenant it names (slugs are
 * public: an unknown or suspended one says nothing about its accounts), and the hash every request
 * pays.
 */
export async function admitRegistration(
  deps: AdmissionDeps,
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
  deps: Uses<
    never,
    "passwordMinLength" | "requiredTermsVersion" | "requiredPrivacyVersion" | "continueUrlAllowList"
  >,
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
  deps: Uses<
    "captcha" | "rateLimiter" | "hasher" | "clock",
    "rateLimitWindowSeconds" | "registrationsPerIp" | "emailsPerAddress"
  >,
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
  deps: Uses<"mail", "emailVerificationTtlSeconds">,
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
  deps: Uses<"mail", "emailVerificationTtlSeconds">,
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
  deps: Uses<"mail">,
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

export async function checkEmail(
  deps: Uses<"uow" | "rateLimiter", "rateLimitWindowSeconds" | "emailsPerIp" | "revealAccounts">,
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
