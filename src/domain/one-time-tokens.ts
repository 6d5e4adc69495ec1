// Emailed single-use tokens (verification, reset, deactivation, deletion, email change): 256 random
// bits, only a hash stored, an expiry, single use, and a newer token of the same purpose for the
// same account voids the older ones.
import { randomUUID } from "node:crypto";
import type { OneTimeTokenPurpose, OneTimeTokenRecord } from "./one-time-token-persistence.js";
import type { Repositories } from "./persistence.js";
import { hashSecret, randomToken } from "./secrets.js";
import type { Transaction } from "./unit-of-work.js";

type OneTimeTokens = Pick<Repositories, "oneTimeTokens">;

export interface IssuedToken {
  token: string;
  expiresAt: number;
}

export async function issueToken(
  tx: Transaction<OneTimeTokens>,
  now: number,
  purpose: OneTimeTokenPurpose,
  userId: string,
  ttlSeconds: number,
  payload: Record<string, string> = {},
): Promise<IssuedToken> {
  if (!userId) throw new Error("issueToken needs a user id");
  await tx.oneTimeTokens.voidPending(userId, [purpose], now);
  const token = randomToken(32);
  const expiresAt = now + ttlSeconds * 1000;
  await tx.oneTimeTokens.insert({
    id: randomUUID(),
    purpose,
    userId,
    tokenHash: hashSecret(token),
    payload,
    createdAt: now,
    expiresAt,
    usedAt: null,
  });
  return { token, expiresAt };
}

/** The token's row if it is unused and unexpired; does not consume it. */
export async function peekToken(
  reads: OneTimeTokens,
  now: number,
  purpose: OneTimeTokenPurpose,
  token: string,
): Promise<OneTimeTokenRecord | null> {
  if (token === "") return null;
  const row = await reads.oneTimeTokens.findByHash(hashSecret(token), purpose);
  if (!row || row.usedAt !== null || row.expiresAt <= now) return null;
  return row;
}

/**
 * Uses the token up. The repository's conditional claim is the single-use guarantee: of two
 * concurrent calls (even on two replicas), only one gets the row.
 */
export async function consumeToken(
  tx: Transaction<OneTimeTokens>,
  now: number,
  purpose: OneTimeTokenPurpose,
  token: string,
): Promise<OneTimeTokenRecord | null> {
  const row = await peekToken(tx, now, purpose, token);
  if (!row) return null;
  return (await tx.oneTimeTokens.claim(row.id, now)) ? row : null;
}

/** Every purpose; `voidTokens` without a list voids them all. */
export const ALL_PURPOSES: readonly OneTimeTokenPurpose[] = [
  "verify_email",
  "change_email",
  "reset_password",
  "deactivate",
  "delete",
];

/**
 * Voids the account's pending tokens of the given purposes (all by default), in the caller's
 * transaction. Account recovery uses it so that nothing requested from a stolen session (an email
 * change to the thief's address, above all) can still be confirmed afterwards.
 */
export async function voidTokens(
  tx: Transaction<OneTimeTokens>,
  now: number,
  userId: string,
  purposes: readonly OneTimeTokenPurpose[] = ALL_PURPOSES,
): Promise<void> {
  if (!userId) throw new Error("voidTokens needs a user id");
  await tx.oneTimeTokens.voidPending(userId, purposes, now);
}
