// The counting half of Login. Every attempt is counted before its password is verified — against
// its client address (a rate limit) and, for a known account, against the account (the lockout) —
// so however many guesses arrive at once, no more are verified than the limits allow. A right
// password gives both counts back, in the transaction that signs in, and only if the password it
// verified is still the account's. Known and unknown identifiers do the same database work, so the
// time of the answer does not tell them apart.
import { invalidCredentials } from "../errors.js";
import type { AccountRepositories } from "../persistence.js";
import type { ClientInfo, RateLimitReservation } from "../ports.js";
import { commit, commitThenFail, type Transaction } from "../unit-of-work.js";
import type { Uses } from "./deps.js";
import type { AccountRecord } from "./persistence.js";
import { findUserByIdentifier } from "./users.js";

/**
 * What the attempt holds on the account: nothing (no such account), nothing because the account is
 * locked (verify nothing), one counted failure, or the failure that locks the account — locked at
 * once, so no concurrent guess slips in, and unlocked again if the password proves right.
 */
export type AccountSlot = "none" | "locked" | "counted" | "last";

export interface LoginAttempt {
  ip: RateLimitReservation;
  user: AccountRecord | null;
  slot: AccountSlot;
  /** For the "last" slot: when the lock this attempt started ends (epoch milliseconds). */
  lockEnds: number;
}

/** The settings of the account's lockout. */
type LockoutSettings = "loginMaxFailuresPerAccount" | "lockoutSeconds";

const ipKey = (ip: string) => `login-failures:ip:${ip}`;
/** Matches no account: an unknown identifier runs the same UPDATE as a known one, on no row. */
const NO_ACCOUNT = "00000000-0000-0000-0000-000000000000";

/**
 * Counts the attempt against its address and its account (the tenant's account with this
 * identifier; none when the tenant is unknown, null), in one transaction, before any verification.
 */
export function startAttempt(
  deps: Uses<
    "uow" | "rateLimiter" | "clock",
    LockoutSettings | "loginMaxFailuresPerIp" | "rateLimitWindowSeconds"
  >,
  tenantId: string | null,
  identifier: string,
  client: ClientInfo,
): Promise<LoginAttempt> {
  const { config } = deps;
  return deps.uow.run(async (tx) => {
    const ip = await deps.rateLimiter.reserve(
      ipKey(client.rateLimitKey),
      config.loginMaxFailuresPerIp,
      config.rateLimitWindowSeconds,
      tx,
    );
    if (!ip.allowed) return commit<LoginAttempt>({ ip, user: null, slot: "none", lockEnds: 0 });
    const user = await findUserByIdentifier(tx, tenantId, identifier);
    const { slot, lockEnds } = await reserveAccountSlot(tx, deps, user?.id ?? NO_ACCOUNT);
    return commit<LoginAttempt>({ ip, user, slot: user ? slot : "none", lockEnds });
  });
}

/**
 * Counts one failure on the account in one statement, before the password is verified; the
 * failure that reaches the limit locks the account and restarts the count. A locked account is not
 * counted (failures while locked do not extend the lock, so nobody can keep an account locked past
 * one lockout period at a time).
 */
async function reserveAccountSlot(
  tx: Transaction<AccountRepositories>,
  deps: Uses<"clock", LockoutSettings>,
  userId: string,
): Promise<{ slot: AccountSlot; lockEnds: number }> {
  const now = deps.clock.now();
  const lockEnds = now + deps.config.lockoutSeconds * 1000;
  const max = deps.config.loginMaxFailuresPerAccount;
  const counted = await tx.accounts.countFailedSignIn(userId, { max, lockEnds, now });
  if (!counted) return { slot: "locked", lockEnds };
  return { slot: counted.lockedUntil === lockEnds ? "last" : "counted", lockEnds };
}

/**
 * Inside the signing-in transaction: gives the attempt's counts back (the address's, and the
 * account's failures and lock) and stores an upgraded hash, only if the account's password is
 * still the one verified — a reset that committed meanwhile wins. Answers the account's current
 * status and verification, or null when the password changed.
 */
export async function claimSuccess(
  tx: Transaction<AccountRepositories>,
  deps: Uses<"rateLimiter">,
  attempt: LoginAttempt,
  verifiedHash: string,
  upgradedHash: string | null,
): Promise<{ status: string; emailVerified: boolean } | null> {
  // The address's counter first, then the account's row: the order `startAttempt` takes them in,
  // so two sign-ins never wait on each other in a circle (PostgreSQL).
  await deps.rateLimiter.refund(attempt.ip, tx);
  return tx.accounts.claimSignIn(attempt.user?.id ?? NO_ACCOUNT, verifiedHash, upgradedHash ?? verifiedHash);
}

/**
 * Records a failed attempt, then fails with the one answer every failed sign-in gets; the failure
 * that started a lock also tells the owner by email.
 */
export async function failAttempt(
  deps: Uses<"uow" | "clock" | "mail", "lockoutSeconds">,
  attempt: LoginAttempt,
  client: ClientInfo,
  reason: "wrong_password" | "password_changed",
): Promise<never> {
  const error = invalidCredentials();
  // What the logs and metrics record (the client gets the same answer either way).
  if (reason === "wrong_password") error.reason = attempt.slot === "locked" ? "locked" : "wrong_password";
  await deps.uow.run(async (tx) => {
    await recordFailureIn(tx, deps, attempt, client, reason);
    return commitThenFail(error);
  });
  throw new Error("unreachable: a failed attempt always fails");
}

async function recordFailureIn(
  tx: Transaction<AccountRepositories>,
  deps: Uses<"clock" | "mail", "lockoutSeconds">,
  attempt: LoginAttempt,
  client: ClientInfo,
  reason: "wrong_password" | "password_changed",
): Promise<void> {
  const now = deps.clock.now();
  const { user, slot } = attempt;
  const { audit } = tx;
  if (!user) return audit.record(now, "login.failed", null, client, { reason: "unknown_identifier" });
  if (slot === "locked") return audit.record(now, "login.failed", user.id, client, { reason: "locked" });
  // A right password elsewhere, or a reset, may have lifted the lock since: then nobody is told.
  if (slot === "last" && (await tx.accounts.isLockedUntil(user.id, attempt.lockEnds))) {
    await deps.mail.accountLocked(tx, user.email, deps.config.lockoutSeconds * 1000, attempt.lockEnds);
    return audit.record(now, "login.locked", user.id, client, { reason, until: attempt.lockEnds });
  }
  return audit.record(now, "login.failed", user.id, client, { reason });
}
