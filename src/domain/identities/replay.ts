// Each provider ID token signs in (or links) once. Whoever captures one on its way (a log, a proxy,
// a browser extension) would otherwise sign in as its owner until it expires. An accepted token is
// remembered in the database, under a SHA-256 of its issuer and `jti` (or of the whole token when it
// has none), until it expires; the remembering is one insert-or-refuse on a unique key, so of two
// replicas accepting the same token at once exactly one succeeds.
import { createHash } from "node:crypto";
import { unauthenticated } from "../errors.js";
import type { Transaction } from "../persistence.js";
import { commit, type UnitOfWork } from "../unit-of-work.js";

/** What an accepted ID token is remembered by, and until when. */
export interface SpendableToken {
  /** Hex SHA-256: of the issuer and `jti`, or of the whole token. */
  spentKey: string;
  /** Epoch ms after which the token verifies nowhere: its `exp` plus the allowed clock skew. */
  spentUntil: number;
}

/**
 * The key one token is remembered by. A `jti` names the token whatever its encoding (the same claims
 * re-serialised would be another string); without one the token's exact text is all there is.
 */
export function spentKeyOf(issuer: string, jti: unknown, idToken: string): string {
  const named = typeof jti === "string" && jti !== "";
  const input = named ? `jti\n${issuer}\n${jti}` : `token\n${idToken}`;
  return createHash("sha256").update(input).digest("hex");
}

/**
 * Spends the token in `tx`: refused with UNAUTHENTICATED when it was accepted before. In the
 * transaction of the sign-in or link it admits, so a refused sign-in leaves the token unspent.
 */
export async function spendIdToken(tx: Transaction, token: SpendableToken): Promise<void> {
  if (!(await tx.spentIdTokens.spend(token.spentKey, token.spentUntil))) {
    throw unauthenticated(
      "id_token: has been used already; an ID token signs in once: ask the provider for a new one",
    );
  }
}

/** Housekeeping: forgets the tokens that have expired (they verify nowhere now); answers how many. */
export function purgeSpentIdTokens(deps: { uow: UnitOfWork; clock: { now(): number } }): Promise<number> {
  return deps.uow.run(async (tx) => commit(await tx.spentIdTokens.purgeExpired(deps.clock.now())));
}
