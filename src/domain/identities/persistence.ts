// What provider sign-in and identity linking need from persistence: the linked identities, and the
// few account fields they read (or write, for the account a first sign-in makes). src/store/
// repositories/identities.ts implements both over TypeORM; a transaction (persistence.ts) holds them.

/** An account's identity at an OpenID Connect provider; (provider, subject) is unique. */
export interface LinkedIdentityRecord {
  id: string;
  userId: string;
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
  findBySubject(provider: string, subject: string): Promise<LinkedIdentityRecord | null>;
  findOfUser(userId: string, id: string): Promise<LinkedIdentityRecord | null>;
  /** Oldest first. */
  listOfUser(userId: string): Promise<LinkedIdentityRecord[]>;
  /** Throws a unique violation when (provider, subject) is linked already. */
  insert(identity: LinkedIdentityRecord): Promise<void>;
  update(id: string, changes: IdentityChanges): Promise<void>;
  delete(id: string): Promise<void>;
}

/** The account fields sign-in and linking decide on. */
export interface IdentityAccount {
  id: string;
  email: string;
  emailVerified: boolean;
  status: string;
  passwordHash: string;
}

/** A narrow port onto the accounts table, for the identities feature only. */
export interface IdentityAccountRepository {
  findById(id: string): Promise<IdentityAccount | null>;
  findByEmail(email: string): Promise<IdentityAccount | null>;
  /**
   * A new active account with a verified email and no profile: what a first provider sign-in makes.
   * Throws a unique violation when the email is taken meanwhile.
   */
  insertVerified(account: {
    id: string;
    email: string;
    passwordHash: string;
    createdAt: number;
  }): Promise<void>;
  /**
   * Writes the account row (its update time), so that concurrent changes of one account's ways in
   * serialise on it (a row lock on PostgreSQL; SQLite has one writer anyway).
   */
  lock(id: string, at: number): Promise<void>;
}
