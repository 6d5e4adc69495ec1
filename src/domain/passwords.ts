// Password hashing and policy. argon2id with the configured costs; every password is NFKC-normalised
// first so the same characters typed on different keyboards match, and verified whole (argon2 has no
// 72-byte limit, unlike bcrypt).
import argon2 from "argon2";
import { isCommonPassword } from "./common-passwords.js";
import { invalidArgument } from "./errors.js";

export interface HashCosts {
  memoryKib: number;
  iterations: number;
  parallelism: number;
}

export const MAX_PASSWORD_LENGTH = 128;

export function normalizePassword(password: string): string {
  return password.normalize("NFKC");
}

/** Length in Unicode code points, so "пароль" counts six, like its user sees it. */
function codePoints(text: string): number {
  return [...text].length;
}

export class PasswordHasher {
  private dummyHash: Promise<string> | undefined;

  constructor(private readonly costs: HashCosts) {}

  hash(password: string): Promise<string> {
    return argon2.hash(normalizePassword(password), {
      type: argon2.argon2id,
      memoryCost: this.costs.memoryKib,
      timeCost: this.costs.iterations,
      parallelism: this.costs.parallelism,
    });
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash, normalizePassword(password));
    } catch {
      return false;
    }
  }

  /**
   * Spends the time of one verification without an account, so an unknown identifier answers
   * exactly like a wrong password.
   */
  async verifyDummy(password: string): Promise<false> {
    this.dummyHash ??= this.hash("authd-dummy-password-for-timing");
    await this.verify(await this.dummyHash, password);
    return false;
  }

  /** True when a stored hash was made with other costs and should be upgraded. */
  needsRehash(hash: string): boolean {
    return argon2.needsRehash(hash, {
      memoryCost: this.costs.memoryKib,
      timeCost: this.costs.iterations,
      parallelism: this.costs.parallelism,
    });
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
  if (length < minLength) throw invalidArgument(field, `must be at least ${minLength} characters`);
  if (length > MAX_PASSWORD_LENGTH)
    throw invalidArgument(field, `must be at most ${MAX_PASSWORD_LENGTH} characters`);
  const lower = normalized.toLowerCase();
  if (isCommonPassword(lower)) {
    throw invalidArgument(field, "is too common (it appears on a list of common or breached passwords)");
  }
  const email = context.email.toLowerCase();
  const localPart = email.split("@")[0] ?? "";
  if (lower.includes(email) || (localPart.length >= 4 && lower.includes(localPart))) {
    throw invalidArgument(field, "must not contain your email address");
  }
  const username = context.username?.toLowerCase();
  if (username && username.length >= 3 && lower.includes(username)) {
    throw invalidArgument(field, "must not contain your username");
  }
}
