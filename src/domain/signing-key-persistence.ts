// What the access-token signing keys (sessions/signing-keys.ts) need from persistence;
// src/store/repositories/signing-keys.ts implements it.

/** A key that signs access tokens. The private JWK is stored sealed (SecretBox, the kid as associated data). */
export interface SigningKeyRecord {
  /** The JWK `kid`. */
  kid: string;
  algorithm: string;
  /** The public JWK, as JSON. */
  publicJwk: string;
  privateJwkEncrypted: string;
  createdAt: number;
  /** When a newer key replaced it; its public half is served until its tokens have expired. */
  retiredAt: number | null;
}

export interface SigningKeyRepository {
  /** Every stored key, newest first. */
  listNewestFirst(): Promise<SigningKeyRecord[]>;
  countActive(): Promise<number>;
  /**
   * Holds, until the transaction ends, the lock that makes replicas starting together on an empty
   * database create one first key, not several (PostgreSQL; SQLite has one writer anyway).
   */
  lockFirstKey(): Promise<void>;
  insert(key: SigningKeyRecord): Promise<void>;
  retireActive(at: number): Promise<void>;
  /** Deletes the key (a withdrawal): its tokens verify nowhere once the replicas reload. */
  delete(kid: string): Promise<void>;
}
