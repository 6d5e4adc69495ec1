// The seams between the parts of the domain. Accounts (sign-in, passwords) call sessions, delivery,
// rate limits and MFA through these interfaces, so each part can be built and tested on its own.
import type { MfaRepositories, Repositories } from "./persistence.js";
import type { Transaction } from "./unit-of-work.js";

/**
 * Where the domain writes a log line: structured fields and a message (the app's pino logger is
 * one). Fields never carry a secret; errors from the database are described, not attached, where
 * their parameters could hold one (after-reply.ts).
 */
export interface Logger {
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** Who is asking, as far as auditing and rate limiting care. */
export interface ClientInfo {
  ip: string;
  /** What per-address rate limits count under: the IPv4 address, or the IPv6 /64. */
  rateLimitKey: string;
  userAgent: string;
}

// ---- Sessions and tokens ----

// ---- Rate limits (accounts issue) ----

export interface RateLimitResult {
  allowed: boolean;
  /** When not allowed: seconds until the window resets. */
  retryAfterSeconds: number;
}

/** One counted hit, which `refund` can give back; opaque to callers. */
export interface RateLimitReservation extends RateLimitResult {
  /** The key as stored (bounded in length whatever the caller's key). */
  key: string;
  /** Start of the window the hit was counted in (epoch milliseconds). */
  windowStart: number;
}

export interface RateLimiter {
  /** Counts one hit against `key` (atomically, shared by all replicas) and says whether it is within `limit`. */
  consume(key: string, limit: number, windowSeconds: number): Promise<RateLimitResult>;
  /**
   * Counts one hit *before* the expensive check it guards (a password verification), in `em`'s
   * transaction when given; refund it when the check succeeds. At most `limit` concurrent callers
   * are allowed per window. Throws when the count cannot be taken: the caller fails closed.
   */
  reserve(
    key: string,
    limit: number,
    windowSeconds: number,
    tx?: Transaction<Pick<Repositories, "rateLimits">>,
  ): Promise<RateLimitReservation>;
  /** Gives back an allowed reservation (the guarded check succeeded), in `tx` when given. */
  refund(
    reservation: RateLimitReservation,
    tx?: Transaction<Pick<Repositories, "rateLimits">>,
  ): Promise<void>;
  /**
   * Says whether `key` is already at `limit` in the current window, without counting a hit. Not for
   * guarding expensive work: concurrent requests would all pass the peek. Use `reserve`.
   */
  peek(key: string, limit: number, windowSeconds: number): Promise<RateLimitResult>;
  /** Forgets the hits of `key`. */
  reset(key: string): Promise<void>;
}

export interface CaptchaVerifier {
  /** True when captcha is not configured, or the token is valid for this client. */
  verify(token: string, ip: string): Promise<boolean>;
}

// ---- Second factor (MFA issue) ----

export interface LoginOptions {
  durationSeconds: number | undefined;
  authMethod: "token" | "cookie";
  signOutOtherSessions: boolean;
  /** The first factor's RFC 8176 methods, carried by a challenge into its session; default ["pwd"]. */
  amr?: string[];
}

export interface AuthenticatorSummary {
  id: string;
  type: "totp" | "sms" | "email" | "recovery_codes";
  active: boolean;
  destinationHint: string;
  remainingCodes: number;
  createdAt: number;
  lastUsedAt: number | null;
}

/** A device that skips the second factor at sign-in, as its owner sees it. */
export interface TrustedDeviceView {
  id: string;
  userAgent: string;
  ipAddress: string;
  createdAt: number;
  expiresAt: number;
}

export interface LoginChallenge {
  challengeId: string;
  expiresAt: number;
  authenticators: AuthenticatorSummary[];
}

export interface SecondFactorGate {
  /** True when the user has an active factor and `deviceToken` is not a trusted device of theirs. */
  isRequired(
    reads: Pick<Repositories, "mfa">,
    userId: string,
    deviceToken: string | undefined,
  ): Promise<boolean>;
  /** Creates the short-lived, single-use challenge that Login answers instead of tokens. */
  createChallenge(
    tx: Transaction<MfaRepositories>,
    userId: string,
    options: LoginOptions,
    client: ClientInfo,
  ): Promise<LoginChallenge>;
  /** Forgets every trusted device of a user (password change or reset). */
  revokeTrustedDevices(tx: Transaction<MfaRepositories>, userId: string): Promise<void>;
}
