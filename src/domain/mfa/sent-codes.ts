// SMS and email codes: one live code per binding (what it was sent for); sending a new one replaces
// the old. Codes are stored as hashes bound to their binding and expire after 10 minutes.

import type { Notices } from "../notices.js";
import type { MfaRepositories } from "../persistence.js";
import { safeEqual } from "../secrets.js";
import type { Transaction } from "../unit-of-work.js";
import { hashSentCode, looksLikeSentCode, newSentCode, SENT_CODE_TTL_SECONDS } from "./codes.js";
import type { SentCodeRecord } from "./persistence.js";

export interface CodeDelivery {
  binding: string;
  userId: string;
  channel: "sms" | "email";
  destination: string;
  /** What the code is for, in words, for the message ("signing in", ...). */
  purpose: string;
}

/** Sends a fresh code and answers when it expires. Runs in the caller's transaction. */
export async function sendCode(
  tx: Transaction<MfaRepositories>,
  deps: { notices: Notices; codeKey: Uint8Array },
  now: number,
  delivery: CodeDelivery,
): Promise<number> {
  const code = newSentCode();
  const expiresAt = now + SENT_CODE_TTL_SECONDS * 1000;
  await tx.mfa.sentCodes.replace({
    binding: delivery.binding,
    userId: delivery.userId,
    codeHash: hashSentCode(deps.codeKey, delivery.binding, code),
    destination: delivery.destination,
    expiresAt,
    createdAt: now,
  });
  await deps.notices.send(tx, {
    kind: "one_time_code",
    channel: delivery.channel,
    to: delivery.destination,
    code,
    validForMs: SENT_CODE_TTL_SECONDS * 1000,
    purpose: delivery.purpose,
  });
  return expiresAt;
}

/**
 * Consumes the code of `binding` when `code` matches and has not expired; answers the row (for its
 * destination) or null. The DELETE is the single use: of two concurrent calls only one deletes it.
 */
export async function consumeCode(
  tx: Transaction<MfaRepositories>,
  codeKey: Uint8Array,
  binding: string,
  code: string,
  now: number,
): Promise<SentCodeRecord | null> {
  if (!looksLikeSentCode(code)) return null;
  const row = await tx.mfa.sentCodes.find(binding);
  if (!row || row.expiresAt <= now) return null;
  if (!safeEqual(row.codeHash, hashSentCode(codeKey, binding, code))) return null;
  return (await tx.mfa.sentCodes.claim(binding, row.codeHash)) ? row : null;
}

export async function forgetCodes(tx: Transaction<MfaRepositories>, binding: string): Promise<void> {
  await tx.mfa.sentCodes.delete(binding);
}
