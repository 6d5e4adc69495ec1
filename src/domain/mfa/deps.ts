// What the second-factor domain needs from the rest of the app, passed in once at start-up. Each
// use case and helper takes the few members it uses (a `Pick` of MfaDeps), never the whole of it.

import type { Clock } from "../../clock.js";
import type { HashAdmission, HashRunner } from "../hash-queue.js";
import type { Notices } from "../notices.js";
import type { MfaRepositories } from "../persistence.js";
import type { RateLimiter } from "../ports.js";
import type { Reauthenticator } from "../reauthentication.js";
import type { SecretBox } from "../secret-box.js";
import type { SessionIssuer } from "../sessions/index.js";
import type { UnitOfWork } from "../unit-of-work.js";

export interface SlowHasher {
  hash(secret: string): Promise<string>;
  /** Verifies through `via` (a held place in the hashing queue) or the queue itself. */
  verify(hash: string, secret: string, via?: HashRunner): Promise<boolean>;
  /** Holds a place in the hashing queue, or throws `unavailable` when it is full. */
  admit(): HashAdmission;
}

export interface MfaDeps {
  /** Each use case runs its reads and writes through it, in its own transaction. */
  uow: UnitOfWork<MfaRepositories>;
  clock: Clock;
  /** Codes and factor notices, asked of delivery by kind. */
  notices: Notices;
  sessions: SessionIssuer;
  /** Seals TOTP secrets at rest. */
  box: SecretBox;
  /**
   * HMAC key for SMS and email codes. Six digits are quickly guessed from a plain hash, so a leaked
   * database row must not be enough to recover a code that is still valid.
   */
  codeKey: Uint8Array;
  /** Shown by authenticator apps next to the account name. */
  totpIssuer: string;
  trustedDeviceTtlSeconds: number;
  stepUpTtlSeconds: number;
  /** Limits the SMS and email codes sent per user (SMS pumping, mail bombing). */
  rateLimiter: RateLimiter;
  codesPerUser: number;
  /** New sets of recovery codes per user per window (each set is ten argon2id hashes). */
  recoveryCodeRegenerations: number;
  rateLimitWindowSeconds: number;
  /**
   * Re-authentication before factor changes (the password, and a recent second factor where there
   * is one), counted by the account's re-authentication limit shared with every sensitive change.
   */
  reauth: Reauthenticator;
  /**
   * The accounts' argon2id hasher: checks passwords, and hashes recovery codes, which carry fewer
   * than 112 bits and so need a salted slow hash (ASVS 6.5.2).
   */
  hasher: SlowHasher;
}
