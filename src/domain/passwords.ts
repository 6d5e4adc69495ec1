// Password hashing and policy. argon2id with the configured costs; every password is NFKC-normalised
// first so the same characters typed on different keyboards match, and verified whole (argon2 has no
// 72-byte limit, unlike bcrypt).
import os from "node:os";
import argon2 from "argon2";
import { isCommonPassword } from "./common-passwords.js";
import { invalidArgument, withReason } from "./errors.js";
import { type HashAdmission, HashQueue, type HashRunner } from "./hash-queue.js";

export interface HashCosts {
  memoryKib: number;
  iterations: number;
  parallelism: number;
}

export const MAX_PASSWORD_LENGTH = 128;

/**
 * The password_hash of an account that has no password (made by a provider sign-in). Not a PHC
 * string: argon2 verifies nothing against it, so no password ever opens such an account; a
 * password reset sets one.
 */
export const NO_PASSWORD = "";

export const hasPassword = (passwordHash: string): boolean => passwordHash !== NO_PASSWORD;

export function normalizePassword(password: string): string {
  return password.normalize("NFKC");
}

/** Length in Unicode code points, so "пароль" counts six, like its user sees it. */
function codePoints(text: string): number {
  return [...text].length;
}

/** The cost parameters of an argon2 PHC string ("$argon2id$v=19$m=19456,p=1,t=2$..."), or null. */
export function hashCosts(hash: string): HashCosts | null {
  const param = (name: string) => Number(new RegExp(`[$,]${name}=(\\d+)`).exec(hash)?.[1] ?? Number.NaN);
  const costs = { memoryKib: param("m"), iterations: param("t"), parallelism: param("p") };
  return Object.values(costs).every(Number.isSafeInteger) ? costs : null;
}

const DUMMY_PASSWORD = "authd-dummy-password-for-timing";
/** Distinct cost sets seen in stored hashes are few; the cap only guards against odd data. */
const MAX_DUMMIES = 16;

export class PasswordHasher {
  private readonly dummies = new Map<string, Promise<string>>();

  /**
   * `queue` bounds how many hashes and verifications run at once (see hash-queue.ts); the default,
   * one per core with no bound on waiters, suits tools and tests. The server passes its configured one.
   */
  constructor(
    private readonly costs: HashCosts,
    private readonly queue = new HashQueue({
      concurrency: os.availableParallelism(),
      maxWaiting: Number.POSITIVE_INFINITY,
    }),
  ) {}

  /**
   * Holds a place in the hashing queue for one request, before it counts an attempt: throws the
   * queue's `unavailable` now if it is full. Work passed the admission (`via`) is never refused
   * later. Call `release` in a `finally`.
   */
  admit(): HashAdmission {
    return this.queue.admit();
  }

  hash(password: string): Promise<string> {
    return this.hashWith(this.costs, password);
  }

  private hashWith(costs: HashCosts, password: string, via: HashRunner = this.queue): Promise<string> {
    const normalized = normalizePassword(password);
    return via.run(() =>
      argon2.hash(normalized, {
        type: argon2.argon2id,
        memoryCost: costs.memoryKib,
        timeCost: costs.iterations,
        parallelism: costs.parallelism,
      }),
    );
  }

  /** False for a wrong password or a hash argon2 cannot read; throws only when the queue is full. */
  verify(hash: string, password: string, via: HashRunner = this.queue): Promise<boolean> {
    const normalized = normalizePassword(password);
    // The queue's refusal ("busy") stays outside the catch: it is not a wrong password, and must
    // not be counted as one.
    return via.run(async () => {
      try {
        return await argon2.verify(hash, normalized);
      } catch {
        return false;
      }
    });
  }

  /**
   * Verifies like `verify`, in never less time than a verification at today's costs: a hash made
   * with other (older, cheaper) costs is verified alongside a dummy at today's costs. An account
   * whose hash predates a cost increase then answers a wrong password in the time an unknown
   * identifier takes (`verifyDummy`). A hash made with higher costs than today's still takes
   * longer, until its next sign-in upgrades it.
   */
  async verifyPaced(hash: string, password: string, via: HashRunner = this.queue): Promise<boolean> {
    if (!this.needsRehash(hash)) return this.verify(hash, password, via);
    const [ok] = await Promise.all([
      this.verify(hash, password, via),
      this.dummyFor(this.costs, via).then((dummy) => this.verify(dummy, password, via)),
    ]);
    return ok;
  }

  /**
   * Spends the time `verifyPaced` spends on a hash like `like` (today's costs when absent), without
   * an account: an unknown identifier, or a locked account, answers exactly like a wrong password.
   */
  async verifyDummy(password: string, like?: string, via: HashRunner = this.queue): Promise<false> {
    const costs = (like !== undefined && hashCosts(like)) || this.costs;
    await this.verifyPaced(await this.dummyFor(costs, via), password, via);
    return false;
  }

  private dummyFor(costs: HashCosts, via: HashRunner = this.queue): Promise<string> {
    const key = (c: HashCosts) => `${c.memoryKib}/${c.iterations}/${c.parallelism}`;
    const cached = this.dummies.get(key(costs));
    if (cached) return cached;
    if (this.dummies.size >= MAX_DUMMIES && key(costs) !== key(this.costs))
      return this.dummyFor(this.costs, via);
    const dummy = this.hashWith(costs, DUMMY_PASSWORD, via);
    this.dummies.set(key(costs), dummy);
    // A dummy refused by a full queue is made again next time, not remembered as a failure.
    dummy.catch(() => this.dummies.delete(key(costs)));
    return dummy;
  }

  /** True when a stored hash was made with other costs and should be upgraded. */
  needsRehash(hash: string): boolean {
    try {
      return argon2.needsRehash(hash, {
        memoryCost: this.costs.memoryKib,
        timeCost: this.costs.iterations,
        parallelism: this.costs.parallelism,
      });
    } catch {
      // Not a PHC string argon2 can read: it verifies nothing, and Login must not answer Internal.
      return true;
    }
  }
}

export interface PasswordContext {
  email: string;
  username: string | null;
}

/**
 * NIST SP 800-63B: length limits, no composition rules, and refusal of common, breached or
 * identifier-derived passwords, with the reason given. `field` names the request field at fault.
 */
export function checkPasswordPolicy(
  password: string,
  minLength: number,
  context: PasswordContext,
  field: string,
): void {
  const normalized = normalizePassword(password);
  const length = codePoints(normalized);
  if (length < minLength)
    throw withReason(
      "PASSWORD_TOO_SHORT",
      invalidArgument(field, `must be at least ${minLength} characters`),
    );
  if (length > MAX_PASSWORD_LENGTH)
    throw withReason(
      "PASSWORD_TOO_LONG",
      invalidArgument(field, `must be at most ${MAX_PASSWORD_LENGTH} characters`),
    );
  const lower = normalized.toLowerCase();
  if (isCommonPassword(lower)) {
    throw withReason(
      "PASSWORD_TOO_COMMON",
      invalidArgument(field, "is too common (it appears on a list of common or breached passwords)"),
    );
  }
  const email = context.email.toLowerCase();
  const localPart = email.split("@")[0] ?? "";
  if (lower.includes(email) || (localPart.length >= 4 && lower.includes(localPart))) {
    throw withReason(
      "PASSWORD_CONTAINS_IDENTIFIER",
      invalidArgument(field, "must not contain your email address"),
    );
  }
  const username = context.username?.toLowerCase();
  if (username && username.length >= 3 && lower.includes(username)) {
    throw withReason(
      "PASSWORD_CONTAINS_IDENTIFIER",
      invalidArgument(field, "must not contain your username"),
    );
  }
}
