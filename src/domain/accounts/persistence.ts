// What the account flows need from persistence: the account record and the repositories that read
// and change it (src/store/repositories/accounts.ts and account-data.ts implement them).
//
// Every lookup by a value a client gives (an email, a username) is one method here and names the
// tenant: emails and usernames are unique per tenant only (one address may hold an account in
// several tenants, each with its own password, lockout and emailed links).
import type { ProfileFields } from "./profile-fields.js";

/** What authd records about an account, never set by its owner directly. */
export interface ProfileRecords {
  /** Epoch milliseconds of the last successful sign-in (a new session); null before the first. */
  lastSignInAt: number | null;
  /** Terms-of-service version accepted at registration; "" when none. */
  acceptedTermsVersion: string;
  termsAcceptedAt: number | null;
  /** Privacy-policy version accepted at registration; "" when none. */
  acceptedPrivacyVersion: string;
  privacyAcceptedAt: number | null;
}

/** An account as stored. `passwordHash`, `failedLogins` and `lockedUntil` never leave the domain. */
export interface AccountRecord extends ProfileFields, ProfileRecords {
  id: string;
  /** Lower-cased; unique within the tenant. */
  email: string;
  emailVerified: boolean;
  /** Lower-cased; unique within the tenant when set. */
  username: string | null;
  firstName: string;
  lastName: string;
  /** E.164 or empty; a verified number is held by one account only (it is a sign-in identifier). */
  mobile: string;
  mobileVerified: boolean;
  language: string;
  timezone: string;
  settings: Record<string, string>;
  status: "active" | "deactivated";
  /** The tenant the account belongs to; every account has one (DEFAULT_TENANT_ID unless named). */
  tenantId: string;
  roles: string[];
  /** argon2id PHC string of the NFKC-normalised password; "" for an account made by a provider. */
  passwordHash: string;
  /**
   * An administrator set the password (administration/user-credentials.ts): sign-in refuses it
   * until the owner sets their own (a reset or a change clears it). Unset when inserting means false.
   */
  passwordChangeRequired?: boolean;
  /** Consecutive failed sign-ins since the last success or lock. */
  failedLogins: number;
  /** Epoch milliseconds; null when not locked. */
  lockedUntil: number | null;
  createdAt: number;
  updatedAt: number;
}

/** The fields a flow may change in one write; `id` and `createdAt` never change. */
export type AccountChanges = Partial<Omit<AccountRecord, "id" | "createdAt">>;

/** Counting one failed sign-in against an account (see login-attempt.ts). */
export interface FailedSignIn {
  /** The failure that reaches `max` locks the account until `lockEnds` and restarts the count. */
  max: number;
  lockEnds: number;
  now: number;
}

export interface AccountRepository {
  findById(id: string): Promise<AccountRecord | null>;
  /** The tenant's account with this email (lower-cased, as stored). */
  findByEmail(tenantId: string, email: string): Promise<AccountRecord | null>;
  /** The tenant's account with this username (lower-cased, as stored). */
  findByUsername(tenantId: string, username: string): Promise<AccountRecord | null>;
  /**
   * The tenant's account whose *verified* mobile number is `mobile` (E.164, as stored); an
   * unverified number signs nobody in.
   */
  findByMobile(tenantId: string, mobile: string): Promise<AccountRecord | null>;
  insert(account: AccountRecord): Promise<void>;
  update(id: string, changes: AccountChanges): Promise<void>;
  /**
   * Replaces the password hash only while it is still `verifiedHash` (a reset that committed
   * meanwhile wins), clearing `passwordChangeRequired` (the owner chose it); true when this call did it.
   */
  replacePasswordHash(id: string, verifiedHash: string, newHash: string, now: number): Promise<boolean>;
  /**
   * Counts one failed sign-in in one statement, unless the account is locked at `now` (a locked
   * account is not counted, so failures while locked do not extend the lock). Answers the account's
   * lock end after counting, or null when nothing was counted (locked, or no such account).
   */
  countFailedSignIn(id: string, failure: FailedSignIn): Promise<{ lockedUntil: number | null } | null>;
  /**
   * A successful sign-in: clears the failure count and lock and stores `hashToKeep`, only while the
   * password hash is still `verifiedHash`. Answers the account's status and verification, or null
   * when the password changed meanwhile (or there is no such account).
   */
  claimSignIn(
    id: string,
    verifiedHash: string,
    hashToKeep: string,
  ): Promise<{ status: string; emailVerified: boolean } | null>;
  /** True while the account's lock is the one that ends at `until` (nothing lifted it since). */
  isLockedUntil(id: string, until: number): Promise<boolean>;
}

/**
 * What account-wide changes do to the rows other features keep for an account (MFA, linked
 * identities, the audit trail, counters): recovery and erasure must reach them all, in the
 * transaction of the change.
 */
export interface AccountDataRepository {
  /**
   * Deletes every row of the account and the account itself, children before parents (so it does
   * not rely on foreign keys), and the counters that name it in their key. The audit trail stays.
   */
  erase(account: { id: string; email: string }): Promise<void>;
  /** Blanks where the account's audited requests came from (IP, user agent); keeps the events. */
  forgetRequestOrigins(userId: string): Promise<void>;
  /** Ends every sign-in of the account still waiting for its second factor. */
  voidPendingSignIns(userId: string, now: number): Promise<void>;
  /** Removes every provider identity linked to the account. */
  unlinkIdentities(userId: string): Promise<void>;
  /**
   * The email factor is "the account's email": it follows the address to `newEmail`, and codes
   * already sent to `oldEmail` stop working.
   */
  moveEmailFactor(userId: string, oldEmail: string, newEmail: string): Promise<void>;
}
