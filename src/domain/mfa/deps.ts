// What the second-factor domain needs from the rest of the app, passed in once at start-up.
import type { Clock } from "../../clock.js";
import type { MessageQueue, RateLimiter, SessionIssuer } from "../ports.js";
import type { SecretBox } from "./secret-box.js";

export interface MfaDeps {
  clock: Clock;
  outbox: MessageQueue;
  sessions: SessionIssuer;
  /** Seals TOTP secrets at rest. */
  box: SecretBox;
  /** Shown by authenticator apps next to the account name. */
  totpIssuer: string;
  trustedDeviceTtlSeconds: number;
  stepUpTtlSeconds: number;
  /** Limits the SMS and email codes sent per user (SMS pumping, mail bombing). */
  rateLimiter: RateLimiter;
  codesPerUser: number;
  rateLimitWindowSeconds: number;
  /** Checks a password against the account's stored hash (NFKC, argon2id). */
  verifyPassword(hash: string, password: string): Promise<boolean>;
}
