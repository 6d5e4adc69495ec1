// What the domain needs from persistence, feature by feature (Kratos' FlowPersister is the model):
// plain records and the repository interfaces the domain declares. src/store/repositories/ implements
// them over TypeORM; a unit of work (unit-of-work.ts) hands a transaction's repositories to a use case,
// only those its feature lists at the end of this file.
import type { AccountDataRepository, AccountRepository } from "./accounts/persistence.js";
import type { DeferredWorkRepository } from "./after-reply-persistence.js";
import type { AuditRecorder } from "./audit.js";
import type { LinkedIdentityRepository, SpentIdTokenRepository } from "./identities/persistence.js";
import type { SecondFactorRepositories } from "./mfa/persistence.js";
import type { OneTimeTokenRepository } from "./one-time-token-persistence.js";
import type { OutboxRepository } from "./outbox-persistence.js";
import type { KeysetQuery } from "./paging.js";
import type { RateLimitCounterRepository } from "./rate-limit-persistence.js";
import type { SigningKeyRepository } from "./signing-key-persistence.js";
import type { TenantRepository, TenantUserRepository } from "./tenants/records.js";

// ---- users (the fields the session and API-key features read) ----

export interface UserRecord {
  id: string;
  email: string;
  passwordHash: string;
  status: string;
  tenantId: string | null;
  roles: string[];
}

export interface UserRepository {
  findById(id: string): Promise<UserRecord | null>;
  /** Records a successful sign-in (a new session) at `at`: the profile's last sign-in time. */
  recordSignIn(id: string, at: number): Promise<void>;
}

// ---- sessions and their refresh tokens ----

export interface SessionRecord {
  id: string;
  userId: string;
  amr: string[];
  ip: string;
  userAgent: string;
  createdAt: number;
  lastUsedAt: number;
  expiresAt: number;
  revokedAt: number | null;
  revokeReason: string | null;
}

export interface SessionRepository {
  insert(session: SessionRecord): Promise<void>;
  findById(id: string): Promise<SessionRecord | null>;
  findOfUser(userId: string, id: string): Promise<SessionRecord | null>;
  /** The user's unrevoked sessions (expired ones included), newest first. */
  listUnrevoked(userId: string): Promise<SessionRecord[]>;
  /**
   * One page of the user's unrevoked sessions that end after `live.now` and were used after
   * `live.usedAfter` (newest first, see paging.ts); the caller still applies the exact idle rule.
   */
  pageOfUser(
    userId: string,
    query: KeysetQuery,
    live: { now: number; usedAfter: number },
  ): Promise<SessionRecord[]>;
  revoke(id: string, at: number, reason: string): Promise<void>;
  /** Revokes every unrevoked session of the tenant's accounts; answers their ids. */
  revokeAllOfTenant(tenantId: string, at: number, reason: string): Promise<string[]>;
  /** Writes last-use times; a time older than the stored one never overwrites it. */
  noteLastUse(uses: Array<[sessionId: string, at: number]>): Promise<void>;
  /** Tells the other replicas these sessions were revoked, once (and only if) this transaction commits. */
  announceRevoked(ids: string[]): Promise<void>;
}

export interface RefreshTokenRecord {
  id: string;
  sessionId: string;
  tokenHash: string;
  createdAt: number;
  rotatedAt: number | null;
  replacedBy: string | null;
  graceUsedAt: number | null;
}

/** What a refresh decides on: the presented token, its session, the session's user and tenant. */
export interface RotationContext {
  token: RefreshTokenRecord;
  session: SessionRecord;
  user: UserRecord;
  /** The status of the user's tenant (null: none found). */
  tenantStatus: string | null;
}

export interface RefreshTokenRepository {
  insert(token: RefreshTokenRecord): Promise<void>;
  findByHash(tokenHash: string): Promise<RefreshTokenRecord | null>;
  /**
   * The token with its session, user and tenant, in one statement (the hot path of every refresh;
   * four lookups cost four round trips to the database). Null when the token or its session or
   * user does not exist.
   */
  findForRotation(tokenHash: string): Promise<RotationContext | null>;
  findById(id: string): Promise<RefreshTokenRecord | null>;
  /**
   * Marks the token rotated (replaced by `successorId`) only if it is not yet, and, when
   * `liveSessionId` is given, only while that session is unrevoked; true when this call did it.
   */
  claimRotation(id: string, at: number, successorId: string, liveSessionId?: string): Promise<boolean>;
  /** Uses the token's one grace presentation, only if unused; true when this call did. */
  claimGrace(id: string, at: number): Promise<boolean>;
}

// ---- API keys ----

export interface ApiKeyRecord {
  id: string;
  userId: string;
  name: string;
  prefix: string;
  secretHash: string;
  scopes: string[];
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export interface ApiKeyRepository {
  insert(key: ApiKeyRecord): Promise<void>;
  findById(id: string): Promise<ApiKeyRecord | null>;
  findOfUser(userId: string, id: string): Promise<ApiKeyRecord | null>;
  /** One page of the user's keys, revoked ones included (newest first, see paging.ts). */
  pageOfUser(userId: string, query: KeysetQuery): Promise<ApiKeyRecord[]>;
  revoke(id: string, at: number): Promise<void>;
  revokeAllOfUser(userId: string, at: number): Promise<void>;
  noteLastUse(id: string, at: number): Promise<void>;
}

/** Every repository the store offers; a unit of work hands out those its feature lists below. */
export interface Repositories {
  users: UserRepository;
  accounts: AccountRepository;
  accountData: AccountDataRepository;
  sessions: SessionRepository;
  refreshTokens: RefreshTokenRepository;
  apiKeys: ApiKeyRepository;
  audit: AuditRecorder;
  mfa: SecondFactorRepositories;
  identities: LinkedIdentityRepository;
  spentIdTokens: SpentIdTokenRepository;
  oneTimeTokens: OneTimeTokenRepository;
  signingKeys: SigningKeyRepository;
  deferredWork: DeferredWorkRepository;
  tenants: TenantRepository;
  outbox: OutboxRepository;
  rateLimits: RateLimitCounterRepository;
  tenantUsers: TenantUserRepository;
}

// ---- which repositories each feature's use cases reach ----
// A feature's unit of work holds only these (a repository not listed is absent at run time and a type
// error at compile time). A feature that calls another feature's helper inside its own transaction
// (accounts calling `sessions.create(tx, ...)`) lists that feature's repositories too: the list says
// which tables its use cases touch. The lists sit here, beside `Repositories`, rather than in each
// feature's persistence file, which `Repositories` is gathered from: one place shows who touches what.

/** The keys that sign access tokens (sessions/signing-keys.ts). */
export const SIGNING_KEY_REPOSITORIES = ["signingKeys", "audit"] as const;
export type SigningKeyRepositories = Pick<Repositories, (typeof SIGNING_KEY_REPOSITORIES)[number]>;

/** Sessions, refresh tokens and the access tokens they sign (sessions/). */
export const SESSION_REPOSITORIES = [
  ...SIGNING_KEY_REPOSITORIES,
  "sessions",
  "refreshTokens",
  "users",
  "tenants",
] as const;
export type SessionRepositories = Pick<Repositories, (typeof SESSION_REPOSITORIES)[number]>;

/**
 * Re-authentication (reauthentication.ts): the account, the calling session's sign-in and a
 * recent second factor, read before the change it guards.
 */
export const REAUTHENTICATION_REPOSITORIES = ["users", "sessions", "mfa"] as const;
export type ReauthenticationRepositories = Pick<Repositories, (typeof REAUTHENTICATION_REPOSITORIES)[number]>;

/** API keys (sessions/api-keys.ts). */
export const API_KEY_REPOSITORIES = ["apiKeys", "users", "audit"] as const;
export type ApiKeyRepositories = Pick<Repositories, (typeof API_KEY_REPOSITORIES)[number]>;

/** The second factor (mfa/): a challenge answered ends in a session. */
export const MFA_REPOSITORIES = [...SESSION_REPOSITORIES, "mfa", "outbox"] as const;
export type MfaRepositories = Pick<Repositories, (typeof MFA_REPOSITORIES)[number]>;

/**
 * Accounts (accounts/): sign-in ends in a session or a challenge, recovery and closure end sessions,
 * API keys and trusted devices, and the work after the reply runs in the accounts' transactions.
 */
export const ACCOUNT_REPOSITORIES = [
  ...MFA_REPOSITORIES,
  ...API_KEY_REPOSITORIES,
  "accounts",
  "accountData",
  "oneTimeTokens",
  "rateLimits",
  "deferredWork",
  "tenantUsers",
] as const;
export type AccountRepositories = Pick<Repositories, (typeof ACCOUNT_REPOSITORIES)[number]>;

/** Provider sign-in and linked identities (identities/): a sign-in ends like Login's. */
export const IDENTITY_REPOSITORIES = [
  ...MFA_REPOSITORIES,
  "accounts",
  "identities",
  "spentIdTokens",
] as const;
export type IdentityRepositories = Pick<Repositories, (typeof IDENTITY_REPOSITORIES)[number]>;

/**
 * Tenants (tenants/): suspension ends the tenant's sessions, `authd admin create` makes an account
 * and its password link, and the release of a pending tenant erases its accounts.
 */
export const TENANT_REPOSITORIES = [
  ...SESSION_REPOSITORIES,
  "accounts",
  "accountData",
  "oneTimeTokens",
  "tenantUsers",
] as const;
export type TenantRepositories = Pick<Repositories, (typeof TENANT_REPOSITORIES)[number]>;

/**
 * An administrator's use cases on a tenant's accounts (administration/): they end sessions, API
 * keys and trusted devices, read whether an account has a second factor, and mail the account.
 */
export const ADMINISTRATION_REPOSITORIES = [
  ...MFA_REPOSITORIES,
  ...API_KEY_REPOSITORIES,
  "accounts",
  "accountData",
  "oneTimeTokens",
  "tenantUsers",
] as const;
export type AdministrationRepositories = Pick<Repositories, (typeof ADMINISTRATION_REPOSITORIES)[number]>;
