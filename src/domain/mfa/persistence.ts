// What the second factor needs from persistence: plain records and the repositories of one
// transaction (src/store/repositories/mfa*.ts implements them). No secret is stored in clear: codes
// and tokens are hashes; TOTP secrets, which must be read back to verify, are sealed (secret-box.ts).
//
// Every "claim" is a conditional write whose answer says whether this call made it: of two
// concurrent callers exactly one sees `true`. That is how each single-use secret is used once.

import type { KeysetQuery } from "../paging.js";

export type AuthenticatorKind = "totp" | "sms" | "email" | "recovery_codes";

export interface AuthenticatorRecord {
  id: string;
  userId: string;
  type: AuthenticatorKind;
  active: boolean;
  /** TOTP only: the sealed secret. */
  secretSealed: string | null;
  /** SMS: the E.164 number; email: the address codes go to; empty otherwise. */
  destination: string;
  /** TOTP only: the last accepted time step; a code of this step or earlier is refused. */
  lastUsedStep: number | null;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface AuthenticatorRepository {
  /**
   * One page of the user's authenticators (newest first, see paging.ts), only of `filter.type` and
   * only active or only pending ones when they are given.
   */
  pageOfUser(userId: string, query: KeysetQuery, filter: AuthenticatorFilter): Promise<AuthenticatorRecord[]>;
  /** The user's authenticators of one kind (only active or only pending ones when `active` is given). */
  listOfKind(userId: string, type: AuthenticatorKind, active?: boolean): Promise<AuthenticatorRecord[]>;
  /** The user's active authenticators, oldest first. */
  listActive(userId: string): Promise<AuthenticatorRecord[]>;
  findOfUser(userId: string, id: string): Promise<AuthenticatorRecord | null>;
  /** The user's active recovery-code factor (that one, when `id` is given). */
  findActiveRecoveryCodes(userId: string, id?: string): Promise<AuthenticatorRecord | null>;
  insert(authenticator: AuthenticatorRecord): Promise<void>;
  delete(id: string): Promise<void>;
  activate(id: string, at: number): Promise<void>;
  noteUse(id: string, at: number): Promise<void>;
  /** Records `step` as the last accepted TOTP step only if it is later than the stored one. */
  claimTotpStep(id: string, step: number, at: number): Promise<boolean>;
}

/** What ListAuthenticators may narrow its list to; an unset field does not narrow it. */
export interface AuthenticatorFilter {
  type?: AuthenticatorKind;
  active?: boolean;
}

export interface RecoveryCodeRecord {
  id: string;
  authenticatorId: string;
  /** argon2id PHC string of the normalised code (see codes.ts). */
  codeHash: string;
  usedAt: number | null;
}

export interface RecoveryCodeRepository {
  countUnused(authenticatorId: string): Promise<number>;
  listUnused(authenticatorId: string): Promise<RecoveryCodeRecord[]>;
  insertMany(codes: RecoveryCodeRecord[]): Promise<void>;
  deleteOfAuthenticator(authenticatorId: string): Promise<void>;
  /** Marks the code used only if it is unused. */
  claim(id: string, authenticatorId: string, at: number): Promise<boolean>;
}

/** A code sent by SMS or email, bound to what it was sent for (`binding`); one live code per binding. */
export interface SentCodeRecord {
  /** For example "enrol:<authenticator>", "challenge:<challenge>:<authenticator>", "mobile:<user>". */
  binding: string;
  userId: string;
  codeHash: string;
  /** Where it was sent (the mobile number of a mobile verification; empty otherwise). */
  destination: string;
  expiresAt: number;
  createdAt: number;
}

export interface SentCodeRepository {
  /** Stores the code, replacing the binding's previous one. */
  replace(code: SentCodeRecord): Promise<void>;
  find(binding: string): Promise<SentCodeRecord | null>;
  /** Deletes the binding's code only while its hash is still `codeHash`. */
  claim(binding: string, codeHash: string): Promise<boolean>;
  delete(binding: string): Promise<void>;
  deleteExpiredBefore(at: number): Promise<void>;
}

/** What a sign-in challenge carries from Login to the session it creates. */
export interface ChallengeOptions {
  durationSeconds: number | null;
  authMethod: "token" | "cookie";
  signOutOtherSessions: boolean;
  amr: string[];
  ip: string;
  userAgent: string;
}

export interface ChallengeRecord {
  id: string;
  /** SHA-256 of the challenge token handed to the client. */
  tokenHash: string;
  userId: string;
  options: ChallengeOptions;
  expiresAt: number;
  consumedAt: number | null;
  createdAt: number;
}

export interface ChallengeRepository {
  insert(challenge: ChallengeRecord): Promise<void>;
  findByTokenHash(tokenHash: string): Promise<ChallengeRecord | null>;
  /** Marks the challenge consumed only if it is not yet. */
  claim(id: string, at: number): Promise<boolean>;
  deleteExpiredBefore(at: number): Promise<void>;
}

export interface TrustedDeviceRecord {
  id: string;
  userId: string;
  tokenHash: string;
  userAgent: string;
  ipAddress: string;
  createdAt: number;
  expiresAt: number;
}

export interface TrustedDeviceRepository {
  insert(device: TrustedDeviceRecord): Promise<void>;
  findByTokenHash(tokenHash: string): Promise<TrustedDeviceRecord | null>;
  /** One page of the user's devices still trusted at `now` (newest first, see paging.ts). */
  pageOfUser(userId: string, query: KeysetQuery, now: number): Promise<TrustedDeviceRecord[]>;
  /** False when the device is not one of the user's. */
  deleteOfUser(userId: string, id: string): Promise<boolean>;
  /** Answers how many were deleted. */
  deleteAllOfUser(userId: string): Promise<number>;
  deleteExpiredBefore(at: number): Promise<void>;
}

/** The last second factor proven within a session. */
export interface StepUpRecord {
  sessionId: string;
  userId: string;
  verifiedAt: number;
  validUntil: number;
}

export interface StepUpRepository {
  /** Stores the session's step-up, replacing the previous one. */
  replace(stepUp: StepUpRecord): Promise<void>;
  find(sessionId: string): Promise<StepUpRecord | null>;
  deleteExpiredBefore(at: number): Promise<void>;
}

/** Consecutive wrong codes under one key (a factor, a mobile verification, ...). */
export interface FailureRecord {
  failureKey: string;
  failures: number;
  lockedUntil: number | null;
}

export interface FailureRepository {
  find(key: string): Promise<FailureRecord | null>;
  /** Counts one failure, only while the key is not locked at `now`; creates the key when new. */
  claimAttempt(key: string, now: number): Promise<boolean>;
  /** Locks the key until `until` (and restarts its count) once it has `max` failures. */
  lockIfReached(key: string, max: number, until: number): Promise<void>;
  clear(key: string): Promise<void>;
  /** Forgets the keys whose lock has ended and whose count restarted. */
  deleteSpentBefore(at: number): Promise<void>;
}

/** The account fields the second factor reads. */
export interface MfaUser {
  id: string;
  email: string;
  emailVerified: boolean;
  passwordHash: string;
  status: string;
  mobile: string;
  mobileVerified: boolean;
}

/** The narrow view of accounts the second factor needs: read a user, mark a mobile number verified. */
export interface MfaUserPort {
  findById(id: string): Promise<MfaUser | null>;
  /**
   * Marks the profile's mobile number verified. A unique index refuses it (a unique violation)
   * when another account verified the same number meanwhile.
   */
  markMobileVerified(id: string, at: number): Promise<void>;
  /** True when an account other than `id` holds `mobile` verified. */
  isMobileVerifiedElsewhere(id: string, mobile: string): Promise<boolean>;
}

/** The second factor's repositories of one transaction (`Transaction.mfa`). */
export interface SecondFactorRepositories {
  authenticators: AuthenticatorRepository;
  recoveryCodes: RecoveryCodeRepository;
  sentCodes: SentCodeRepository;
  challenges: ChallengeRepository;
  trustedDevices: TrustedDeviceRepository;
  stepUps: StepUpRepository;
  failures: FailureRepository;
  users: MfaUserPort;
}
