// Registration and email verification. Register and ResendVerificationEmail answer the same, in the
// same time, whether or not the address is registered or the username taken: they check the request,
// answer, and do the rest after the reply (after-reply.ts). The mailbox owner learns by email what
// happened (a notice about an existing account, or that the username was taken).
import { randomUUID } from "node:crypto";
import { checkContinueUrl, storedContinueUrl } from "../continue-url.js";
import {
  failedPrecondition,
  invalidArgument,
  resourceExhausted,
  unusableEmailedToken,
  withReason,
} from "../errors.js";
import { consumeToken, issueToken, voidTokens } from "../one-time-tokens.js";
import { checkPasswordPolicy } from "../passwords.js";
import type { Transaction } from "../persistence.js";
import type { ClientInfo } from "../ports.js";
import { commit } from "../unit-of-work.js";
import { acceptedAgreements, checkAcceptedVersion } from "./agreements.js";
import type { AccountDeps } from "./deps.js";
import type { AccountRecord } from "./persistence.js";
import { NO_PROFILE_FIELDS, NO_PROFILE_RECORDS } from "./profile-fields.js";
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
}

export async function checkCaptcha(deps: AccountDeps, token: string, client: ClientInfo): Promise<void> {
  if (!(await deps.captcha.verify(token, client.ip))) {
    throw withReason(
      "CAPTCHA_FAILED",
      invalidArgument("captcha_token", "captcha verification failed or the token is missing"),
    );
  }
}

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

/** The checks of a registration that look at the request alone, and the hash every request pays. */
export async function admitRegistration(
  deps: AccountDeps,
  input: RegisterInput,
  client: ClientInfo,
): Promise<RegisterWork> {
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
  await checkCaptcha(deps, input.captchaToken, client);
  await limit(
    deps,
    `register:ip:${client.rateLimitKey}`,
    deps.config.registrationsPerIp,
    "registrations from this address",
  );
  await limit(deps, `email:${email}`, deps.config.emailsPerAddress, "emails to this address");
  // Every request pays for the hash, so a new and an existing address take the same time.
  const passwordHash = await deps.hasher.hash(input.password);
  const now = deps.clock.now();
  return { email, username, profile, agreements, continueUrl, passwordHash, now, client };
}

/** What Register leaves for after the reply (after-reply.ts). */
export interface RegisterWork {
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
export async function createAccount(deps: AccountDeps, tx: Transaction, work: RegisterWork): Promise<void> {
  if (await noticeOfConflict(deps, tx, work.email, work.username)) return;
  await insertAccount(deps, tx, work);
}

/** Inserts the new, unverified account of `work` and mails its verification link; answers its id. */
export async function insertAccount(deps: AccountDeps, tx: Transaction, work: RegisterWork): Promise<string> {
  const { email, username, now, client } = work;
  const user: AccountRecord = {
    id: randomUUID(),
    email,
    emailVerified: false,
    username,
    ...work.profile,
    ...NO_PROFILE_FIELDS,
    ...NO_PROFILE_RECORDS,
    ...acceptedAgreements(work),
    mobileVerified: false,
    status: "active",
    tenantId: null,
    passwordHash: work.passwordHash,
    failedLogins: 0,
    lockedUntil: null,
    settings: {},
    roles: [],
    createdAt: now,
    updatedAt: now,
  };
  await tx.accounts.insert(user);
  await sendVerification(deps, tx, user.id, email, now, work.continueUrl ?? "");
  await tx.audit.record(now, "user.registered", user.id, client);
  return user.id;
}

/**
 * When the email has an account, tells its owner someone tried to register; when the username is
 * taken, tells the mailbox that no account was made (never who has the username). Answers whether
 * there was a conflict.
 */
async function noticeOfConflict(
  deps: AccountDeps,
  tx: Transaction,
  email: string,
  username: string | null,
): Promise<boolean> {
  const existing = await findUserByEmail(tx, email);
  if (existing) {
    await deps.mail.registrationAttempt(tx, existing.email);
    return true;
  }
  if (username !== null && (await tx.accounts.findByUsername(username))) {
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
    const verification = await consumeToken(tx, now, "verify_email", token);
    if (verification) {
      await tx.accounts.update(verification.userId, { emailVerified: true, updatedAt: now });
      await tx.audit.record(now, "email.verified", verification.userId, client);
      return commit(storedContinueUrl(verification.payload.continueUrl, deps.config.continueUrlAllowList));
    }
    const change = await consumeToken(tx, now, "change_email", token);
    if (!change) throw unusableEmailedToken();
    const newEmail = change.payload.email;
    if (!newEmail) throw unusableEmailedToken();
    if (await findUserByEmail(tx, newEmail))
      throw failedPrecondition("the new email address is already in use");
    const user = await getUserOrThrow(tx, change.userId);
    const oldEmail = user.email;
    await tx.accounts.update(user.id, { email: newEmail, emailVerified: true, updatedAt: now });
    // The email factor is "the account's email": its codes follow the address to the new mailbox,
    // and codes already sent to the old one (which may be why it was given up) stop working.
    await tx.accountData.moveEmailFactor(user.id, oldEmail, newEmail);
    // Links mailed to the old address (a reset above all) must not outlive the move away from it.
    await voidTokens(tx, now, user.id, ["reset_password", "deactivate", "delete", "verify_email"]);
    await deps.mail.emailChanged(tx, oldEmail, newEmail);
    await tx.audit.record(now, "email.changed", user.id, client);
    return commit("");
  });
  // Two accounts confirming a move to one address at once both pass the check above; the UNIQUE
  // index refuses the second (PostgreSQL), which gets the same answer as the check's.
  const continueUrl = await done.catch((error: unknown) => {
    if (isUniqueViolation(error)) throw failedPrecondition("the new email address is already in use");
    throw error;
  });
  return { continueUrl };
}

export async function resendVerification(
  deps: AccountDeps,
  rawEmail: string,
  captchaToken: string,
  client: ClientInfo,
  rawContinueUrl = "",
): Promise<void> {
  const continueUrl = checkContinueUrl(rawContinueUrl, deps.config.continueUrlAllowList);
  const email = await admitEmailRequest(deps, rawEmail, captchaToken, client);
  const work: ResendWork = { email, now: deps.clock.now(), continueUrl };
  await deps.afterReply.defer("resend_verification", work);
}

/**
 * The gate of every public "email me" RPC: a valid address, the captcha, and the per-IP and
 * per-address limits, counted whether or not the address is registered.
 */
export async function admitEmailRequest(
  deps: AccountDeps,
  rawEmail: string,
  captchaToken: string,
  client: ClientInfo,
): Promise<string> {
  const email = normalizeEmail(rawEmail);
  await checkCaptcha(deps, captchaToken, client);
  await limit(
    deps,
    `email:ip:${client.rateLimitKey}`,
    deps.config.emailsPerIp,
    "email requests from this address",
  );
  await limit(deps, `email:${email}`, deps.config.emailsPerAddress, "emails to this address");
  return email;
}

async function sendVerification(
  deps: AccountDeps,
  tx: Transaction,
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
  email: string;
  now: number;
  /** Absent in work recorded before continue URLs. */
  continueUrl?: string;
}

export async function issueVerification(deps: AccountDeps, tx: Transaction, work: ResendWork): Promise<void> {
  const user = await findUserByEmail(tx, work.email);
  if (!user || user.emailVerified || user.status !== "active") return;
  await sendVerification(deps, tx, user.id, work.email, work.now, work.continueUrl ?? "");
}

export async function checkEmail(deps: AccountDeps, rawEmail: string, client: ClientInfo): Promise<boolean> {
  const email = normalizeEmail(rawEmail);
  await limit(
    deps,
    `check-email:ip:${client.rateLimitKey}`,
    deps.config.emailsPerIp,
    "lookups from this address",
  );
  if (!deps.config.revealAccounts) {
    throw failedPrecondition("CheckEmail is turned off on this server (AUTHD_REVEAL_ACCOUNTS)");
  }
  return deps.uow.read(async (tx) => (await findUserByEmail(tx, email)) !== null);
}
