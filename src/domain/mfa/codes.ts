// The shapes of one-time codes: recovery codes (shown once, stored hashed) and the 6-digit codes
// sent by SMS or email. Users type these, so input is normalised before hashing.
import { createHmac, randomBytes } from "node:crypto";
import { randomDigits } from "../secrets.js";

export const RECOVERY_CODE_COUNT = 10;
export const SENT_CODE_DIGITS = 6;
/** SMS and email codes expire after 10 minutes (ASVS 6.5.5 allows at most 10). */
export const SENT_CODE_TTL_SECONDS = 10 * 60;

// RFC 4648 base32 without padding; 10 characters carry 50 random bits.
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/**
 * Recovery codes carry 50 bits, under ASVS 6.5.2's 112 for a fast hash: they are stored with the
 * accounts' argon2id hasher (salted, slow), in their normalised form.
 */
/** One recovery code like "K7QW3-PZ2MA" (10 base32 characters from a CSPRNG, 50 bits). */
export function newRecoveryCode(): string {
  const bytes = randomBytes(10);
  let code = "";
  for (const byte of bytes) code += BASE32[byte & 31];
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
}

/** Upper-case, without dashes and spaces: "k7qw3 pz2ma" and "K7QW3-PZ2MA" are the same code. */
export function normaliseRecoveryCode(input: string): string {
  return input.replace(/[\s-]/g, "").toUpperCase();
}

export function looksLikeRecoveryCode(input: string): boolean {
  return /^[A-Z2-7]{10}$/.test(normaliseRecoveryCode(input));
}

export function newSentCode(): string {
  return randomDigits(SENT_CODE_DIGITS);
}

/**
 * Sent codes are keyed-hashed (HMAC under a key from the master secret) with what they are bound to,
 * so a code never matches another binding and a leaked row does not give the code away.
 */
export function hashSentCode(key: Uint8Array, binding: string, code: string): string {
  return createHmac("sha256", key).update(`code:${binding}:${code.trim()}`).digest("hex");
}

export function looksLikeSentCode(input: string): boolean {
  return new RegExp(`^\\d{${SENT_CODE_DIGITS}}$`).test(input.trim());
}
