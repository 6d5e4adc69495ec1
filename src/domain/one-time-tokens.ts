// Emailed single-use tokens (verification, reset, deactivation, deletion, email change): 256 random
// bits, only a hash stored, an expiry, single use, and a newer token of the same purpose for the
// same account voids the older ones.
import { randomUUID } from "node:crypto";
import { In, IsNull } from "typeorm";
import { OneTimeTokenEntity, type OneTimeTokenPurpose } from "../store/entities/one-time-token.js";
import { findOneStrict } from "../store/guard.js";
import { emOf } from "../store/unit-of-work.js";
import type { Transaction } from "./persistence.js";
import { hashSecret, randomToken } from "./secrets.js";

export interface IssuedToken {
  token: string;
  expiresAt: number;
}

export async function issueToken(
  tx: Transaction,
  now: number,
  purpose: OneTimeTokenPurpose,
  userId: string,
  ttlSeconds: number,
  payload: Record<string, string> = {},
): Promise<IssuedToken> {
  const em = emOf(tx);
  await em.update(OneTimeTokenEntity, { userId, purpose, usedAt: IsNull() }, { usedAt: now });
  const token = randomToken(32);
  const expiresAt = now + ttlSeconds * 1000;
  const row = em.create(OneTimeTokenEntity, {
    id: randomUUID(),
    purpose,
    userId,
    tokenHash: hashSecret(token),
    createdAt: now,
    expiresAt,
    usedAt: null,
  });
  row.payload = payload;
  await em.save(row);
  return { token, expiresAt };
}

/** The token's row if it is unused and unexpired; does not consume it. */
export async function peekToken(
  tx: Transaction,
  now: number,
  purpose: OneTimeTokenPurpose,
  token: string,
): Promise<OneTimeTokenEntity | null> {
  const em = emOf(tx);
  if (token === "") return null;
  const row = await findOneStrict(em, OneTimeTokenEntity, { tokenHash: hashSecret(token), purpose });
  if (!row || row.usedAt !== null || row.expiresAt <= now) return null;
  return row;
}

/**
 * Uses the token up. The conditional UPDATE is the single-use guarantee: of two concurrent calls
 * (even on two replicas), only one changes the row.
 */
export async function consumeToken(
  tx: Transaction,
  now: number,
  purpose: OneTimeTokenPurpose,
  token: string,
): Promise<OneTimeTokenEntity | null> {
  const em = emOf(tx);
  const row = await peekToken(tx, now, purpose, token);
  if (!row) return null;
  const result = await em
    .createQueryBuilder()
    .update(OneTimeTokenEntity)
    .set({ usedAt: now })
    .where("id = :id AND used_at IS NULL", { id: row.id })
    .execute();
  return result.affected === 1 ? row : null;
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
  tx: Transaction,
  now: number,
  userId: string,
  purposes: readonly OneTimeTokenPurpose[] = ALL_PURPOSES,
): Promise<void> {
  if (!userId) throw new Error("voidTokens needs a user id");
  const em = emOf(tx);
  await em.update(
    OneTimeTokenEntity,
    { userId, purpose: In([...purposes]), usedAt: IsNull() },
    { usedAt: now },
  );
}
