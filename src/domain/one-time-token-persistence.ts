// What the emailed single-use tokens (one-time-tokens.ts) need from persistence;
// src/store/repositories/one-time-tokens.ts implements it.

export type OneTimeTokenPurpose =
  | "verify_email"
  | "change_email"
  | "reset_password"
  | "deactivate"
  | "delete";

/** An emailed single-use token. Only the SHA-256 of the token is stored. */
export interface OneTimeTokenRecord {
  id: string;
  purpose: OneTimeTokenPurpose;
  userId: string;
  tokenHash: string;
  /** Non-secret data the token stands for (the new address of an email change). */
  payload: Record<string, string>;
  createdAt: number;
  expiresAt: number;
  /** Set when used, or when a newer token of the same purpose replaced it. */
  usedAt: number | null;
}

export interface OneTimeTokenRepository {
  insert(token: OneTimeTokenRecord): Promise<void>;
  findByHash(tokenHash: string, purpose: OneTimeTokenPurpose): Promise<OneTimeTokenRecord | null>;
  /** Marks the token used only if it is not yet; true when this call did (of two racing calls, one). */
  claim(id: string, at: number): Promise<boolean>;
  /** Marks the user's unused tokens of these purposes used. */
  voidPending(userId: string, purposes: readonly OneTimeTokenPurpose[], at: number): Promise<void>;
}
