// What provider sign-in and identity linking need from persistence beyond the accounts (which they
// read and make through accounts/persistence.ts): the linked identities. src/store/repositories/
// identities.ts implements it over TypeORM; a transaction (persistence.ts) holds it.

/** An account's identity at an OpenID Connect provider; (provider, subject) is unique per tenant. */
export interface LinkedIdentityRecord {
  id: string;
  userId: string;
  /** The account's tenant. */
  tenantId: string;
  provider: string;
  subject: string;
  /** What the provider last asserted, for display only. */
  email: string;
  /** The provider's tokens, sealed with the row id as associated data (provider-tokens.ts). */
  tokensSealed: string | null;
  tokensUpdatedAt: number | null;
  createdAt: number;
  lastSignInAt: number;
}

/** What a repeated sign-in or link writes back onto a known identity. */
export type IdentityChanges = Partial<
  Pick<LinkedIdentityRecord, "email" | "lastSignInAt" | "tokensSealed" | "tokensUpdatedAt">
>;

export interface LinkedIdentityRepository {
  /** The tenant's identity (provider, subject). */
  findBySubject(tenantId: string, provider: string, subject: string): Promise<LinkedIdentityRecord | null>;
  findOfUser(userId: string, id: string): Promise<LinkedIdentityRecord | null>;
  /** Oldest first. */
  listOfUser(userId: string): Promise<LinkedIdentityRecord[]>;
  /** Throws a unique violation when (provider, subject) is linked already in the tenant. */
  insert(identity: LinkedIdentityRecord): Promise<void>;
  update(id: string, changes: IdentityChanges): Promise<void>;
  delete(id: string): Promise<void>;
}

/**
 * The provider ID tokens already accepted, remembered until they expire so that none signs in (or
 * links) twice. `key` is a SHA-256 (replay.ts), never the token.
 */
export interface SpentIdTokenRepository {
  /**
   * Remembers `key` until `expiresAt` in one statement; true when this call did, false when the
   * key was spent already (by this or another replica: the key is unique in the table).
   */
  spend(key: string, expiresAt: number): Promise<boolean>;
  /** Forgets the keys whose tokens expired at or before `now`; answers how many. */
  purgeExpired(now: number): Promise<number>;
}
