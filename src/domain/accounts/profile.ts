// Reading and changing one's own profile. Changing the email re-authenticates (reauthentication.ts:
// the password and, with a second factor, a recent step-up) and needs a verification of the new
// address; the old address keeps working (and is told) until then.

import type { Caller } from "../callers.js";
import { checkContinueUrl } from "../continue-url.js";
import { alreadyExists, invalidArgument } from "../errors.js";
import { issueToken } from "../one-time-tokens.js";
import type { Repositories } from "../persistence.js";
import type { ClientInfo } from "../ports.js";
import { commit } from "../unit-of-work.js";
import { emailLimitKey, limit } from "./admission.js";
import { laterAcceptances } from "./agreements.js";
import type { Uses } from "./deps.js";
import type { AccountChanges, AccountRecord } from "./persistence.js";
import { checkProfileFields, type ProfileFieldChanges } from "./profile-fields.js";
import { findUserByEmail, getUserOrThrow, isUniqueViolation } from "./users.js";
import {
  checkLanguage,
  checkMobile,
  checkName,
  checkSettings,
  checkTimezone,
  normalizeEmail,
  normalizeUsername,
} from "./validation.js";

export interface ProfileChanges {
  email?: string | undefined;
  username?: string | undefined;
  firstName?: string | undefined;
  lastName?: string | undefined;
  mobile?: string | undefined;
  language?: string | undefined;
  timezone?: string | undefined;
  settings: Record<string, string>;
  removeSettings: string[];
  currentPassword: string;
  /** The optional personal fields to change (profile-fields.ts); absent: none. */
  fields?: ProfileFieldChanges;
  /** Newer terms of service / privacy policy versions the user accepts now. */
  acceptedTermsVersion?: string | undefined;
  acceptedPrivacyVersion?: string | undefined;
  /** Where the email-change link brings the user back (allow-listed); "" or absent: none. */
  continueUrl?: string;
}

/**
 * The account as its owner sees it: no credential (hash, failure count, lock); `mfaEnabled`: it has
 * an active second factor.
 */
export type Profile = Omit<AccountRecord, "passwordHash" | "failedLogins" | "lockedUntil"> & {
  mfaEnabled: boolean;
};

async function profileOf(
  deps: Uses<"secondFactor">,
  reads: Pick<Repositories, "mfa">,
  account: AccountRecord,
): Promise<Profile> {
  const { passwordHash: _hash, failedLogins: _failures, lockedUntil: _lock, ...profile } = account;
  return { ...profile, mfaEnabled: await deps.secondFactor.isRequired(reads, account.id, undefined) };
}

/** The caller's profile, from the profile cache when it holds it (see profile-cache.ts for the bound). */
export async function getUser(
  deps: Uses<"uow" | "secondFactor" | "profiles">,
  userId: string,
): Promise<Profile> {
  const cached = deps.profiles?.get(userId);
  if (cached) return cached;
  const snapshot = deps.profiles?.snapshot();
  const profile = await deps.uow.read(async (reads) =>
    profileOf(deps, reads, await getUserOrThrow(reads, userId)),
  );
  if (snapshot) deps.profiles?.put(userId, profile, snapshot);
  return profile;
}

export async function updateUser(
  deps: Uses<
    "uow" | "clock" | "reauth" | "passwords" | "rateLimiter" | "secondFactor" | "mail",
    | "continueUrlAllowList"
    | "requiredTermsVersion"
    | "requiredPrivacyVersion"
    | "emailsPerAddress"
    | "rateLimitWindowSeconds"
    | "emailVerificationTtlSeconds"
  >,
  caller: Pick<Caller, "userId" | "sessionId">,
  changes: ProfileChanges,
  client: ClientInfo,
): Promise<Profile> {
  const update: AccountChanges = {};
  if (changes.username !== undefined) update.username = normalizeUsername(changes.username);
  if (changes.firstName !== undefined) update.firstName = checkName(changes.firstName, "first_name");
  if (changes.lastName !== undefined) update.lastName = checkName(changes.lastName, "last_name");
  if (changes.mobile !== undefined) update.mobile = checkMobile(changes.mobile);
  if (changes.language !== undefined) update.language = checkLanguage(changes.language);
  if (changes.timezone !== undefined) update.timezone = checkTimezone(changes.timezone);
  checkSettings(changes.settings);
  Object.assign(update, checkProfileFields(changes.fields ?? {}, deps.clock.now()));
  const newEmail = changes.email === undefined ? undefined : normalizeEmail(changes.email);
  const continueUrl = checkContinueUrl(changes.continueUrl ?? "", deps.config.continueUrlAllowList);
  if (continueUrl !== "" && newEmail === undefined) {
    throw invalidArgument("continue_url", "is only for an email change (set email too)");
  }
  Object.assign(
    update,
    laterAcceptances(
      { terms: changes.acceptedTermsVersion, privacy: changes.acceptedPrivacyVersion },
      { terms: deps.config.requiredTermsVersion, privacy: deps.config.requiredPrivacyVersion },
      deps.clock.now(),
    ),
  );

  const { userId } = caller;
  const current = await deps.uow.read((reads) => getUserOrThrow(reads, userId));
  const emailChange = newEmail !== undefined && newEmail !== current.email ? newEmail : undefined;
  const mobileChange = update.mobile !== undefined && update.mobile !== current.mobile;
  // ASVS 7.5.1: the email and the phone number are how an account is recovered, so changing them
  // needs the password again, and on an account with a second factor a recent one too (as factor
  // changes do): the password alone must not move the account's recovery address.
  // The username signs in too, though it recovers nothing: changing it needs the password (a stolen
  // access token must not rename the account), not a second factor.
  const usernameChange = update.username !== undefined && update.username !== current.username;
  if (emailChange !== undefined || mobileChange || usernameChange) {
    const what =
      emailChange !== undefined ? "the email" : mobileChange ? "the mobile number" : "the username";
    if (changes.currentPassword === "")
      throw invalidArgument("current_password", `is required to change ${what}`);
    if (emailChange !== undefined || mobileChange)
      await deps.reauth.confirm(caller, changes.currentPassword, { purpose: `to change ${what}` });
    else
      await deps.passwords.confirm(
        current.id,
        current.passwordHash,
        changes.currentPassword,
        "current_password",
      );
  }
  if (emailChange !== undefined) {
    await limit(
      deps,
      emailLimitKey(current.tenantId, emailChange),
      deps.config.emailsPerAddress,
      "emails to this address",
    );
  }
  const now = deps.clock.now();
  const saved = deps.uow.run(async (tx) => {
    const user = await getUserOrThrow(tx, userId);
    if (update.username && update.username !== user.username) {
      const taken = await tx.accounts.findByUsername(user.tenantId, update.username);
      if (taken) throw alreadyExists("username: is already taken");
    }
    if (update.mobile !== undefined && update.mobile !== user.mobile) update.mobileVerified = false;
    const settings = { ...user.settings, ...changes.settings };
    for (const key of changes.removeSettings) delete settings[key];
    if (Object.keys(settings).length > 100)
      throw invalidArgument("settings", "at most 100 settings per user");
    const changed = { ...update, settings, updatedAt: now };
    await tx.accounts.update(user.id, changed);
    if (emailChange !== undefined) {
      // The answer is the same whether or not the new address is taken; the check happens again
      // when the link is followed.
      if (!(await findUserByEmail(tx, user.tenantId, emailChange))) {
        const ttl = deps.config.emailVerificationTtlSeconds;
        const { token, expiresAt } = await issueToken(tx, now, "change_email", user.id, ttl, {
          email: emailChange,
          continueUrl,
        });
        await deps.mail.verifyNewEmail(tx, emailChange, token, expiresAt - now, continueUrl);
        await tx.audit.record(now, "email.change_requested", user.id, client);
      }
    }
    return commit(await profileOf(deps, tx, { ...user, ...changed }));
  });
  // Two accounts claiming one username at once both pass the check above; the UNIQUE index refuses
  // the second (PostgreSQL), which gets the same answer as the check's.
  return saved.catch((error: unknown) => {
    if (update.username && isUniqueViolation(error)) throw alreadyExists("username: is already taken");
    throw error;
  });
}
