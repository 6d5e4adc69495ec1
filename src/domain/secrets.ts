// Secret values: generation, hashing for storage, and comparison. Every secret authd hands out
// (tokens, codes, keys) comes from here, so the entropy and the hashing are decided in one place.
import { createHash, randomBytes, randomInt, timingSafeEqual } from "node:crypto";

/** A URL-safe random token of `bytes` random bytes (32 bytes = 256 bits). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

/** A numeric code of `digits` digits, uniformly distributed, for SMS and email. */
export function randomDigits(digits: number): string {
  let code = "";
  for (let i = 0; i < digits; i++) code += String(randomInt(10));
  return code;
}

/**
 * SHA-256 of a secret, hex-encoded, as stored in the database. Tokens carry 128+ random bits, so a
 * fast hash is enough (nothing to brute-force); a database leak does not reveal usable tokens.
 */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/** Compares two strings in time that depends only on their length. */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, "utf8");
  const right = Buffer.from(b, "utf8");
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}
