// Each provider ID token signs in (or links) once. Whoever captures one on its way (a log, a proxy,
// a browser extension) would otherwise sign in as its owner until it expires. An accepted token is
// remembered in the database, under a SHA-256 of its issuer and `jti` (or, without one, of what its
// signature covers), until it expires; the remembering is one insert-or-refuse on a unique key, so of
// two replicas accepting the same token at once exactly one succeeds.
//
// A token's text is not what to remember: one signed token can be written many ways that all verify.
// Base64 decoders ignore the unused low bits of a segment's last character and skip whitespace, and an
// ECDSA signature (r, s) verifies as well written (r, n - s). What cannot be rewritten is the signing
// input: the signature covers the exact ASCII of `header.payload` (RFC 7515 §5.2), not the bytes they
// decode to, so re-encoding the header or payload (a padding bit, a space, an "=") makes another
// message that the provider's signature does not verify. Every variant that verifies thus shares its
// `header.payload` with the original, and the key ignores the signature entirely, so no trick on the
// signature (encoding or value, for any algorithm) escapes it. Two signatures the provider itself made
// over the same `header.payload` are one token too: same claims, signed in once. Non-canonical
// encodings are also refused outright (`canonicalEncodingProblem`), so that the text we see is the
// only text the token has; the key does not depend on that check.
import { createHash } from "node:crypto";
import { unauthenticated } from "../errors.js";
import type { Repositories } from "../persistence.js";
import { commit, type Transaction, type UnitOfWork } from "../unit-of-work.js";

/** What an accepted ID token is remembered by, and until when. */
export interface SpendableToken {
  /** Hex SHA-256: of the issuer and `jti`, or of the issuer and the token's `header.payload`. */
  spentKey: string;
  /** Epoch ms after which the token verifies nowhere: its `exp` plus the allowed clock skew. */
  spentUntil: number;
}

/**
 * The key one token is remembered by. A `jti` names the token whatever its encoding (the same claims
 * re-serialised would be another string); without one, the signing input `header.payload` does: the
 * text before the last '.', which the caller has verified the signature over.
 */
export function spentKeyOf(issuer: string, jti: unknown, idToken: string): string {
  const named = typeof jti === "string" && jti !== "";
  const input = named
    ? `jti\n${issuer}\n${jti}`
    : `signed\n${issuer}\n${idToken.slice(0, idToken.lastIndexOf("."))}`;
  return createHash("sha256").update(input).digest("hex");
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Why a compact JWS is not written the one way its bytes allow (RFC 7515 §2: base64url without
 * padding, nothing else), or undefined when it is. Each of its three segments must be made of the
 * base64url alphabet only (no whitespace, no "="), and must be exactly what its decoded bytes encode
 * back to (no stray bits in its last character, no impossible length).
 */
export function canonicalEncodingProblem(token: string): string | undefined {
  const segments = token.split(".");
  if (segments.length !== 3) return "must be three base64url segments separated by '.'";
  for (const segment of segments) {
    if (!BASE64URL.test(segment) || Buffer.from(segment, "base64url").toString("base64url") !== segment) {
      return "is not in canonical base64url (no whitespace, padding or stray bits)";
    }
  }
  return undefined;
}

/**
 * Spends the token in `tx`: refused with UNAUTHENTICATED when it was accepted before. In the
 * transaction of the sign-in or link it admits, so a refused sign-in leaves the token unspent.
 */
export async function spendIdToken(
  tx: Transaction<Pick<Repositories, "spentIdTokens">>,
  token: SpendableToken,
): Promise<void> {
  if (!(await tx.spentIdTokens.spend(token.spentKey, token.spentUntil))) {
    throw unauthenticated(
      "id_token: has been used already; an ID token signs in once: ask the provider for a new one",
    );
  }
}

/** Housekeeping: forgets the tokens that have expired (they verify nowhere now); answers how many. */
export function purgeSpentIdTokens(deps: {
  uow: UnitOfWork<Pick<Repositories, "spentIdTokens">>;
  clock: { now(): number };
}): Promise<number> {
  return deps.uow.run(async (tx) => commit(await tx.spentIdTokens.purgeExpired(deps.clock.now())));
}
