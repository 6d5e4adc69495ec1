import type { Clock } from "../../clock.js";
import type { Store } from "../../store/store.js";
import type { AfterReply } from "../after-reply.js";
import type { PasswordConfirmation } from "../password-confirmation.js";
import type { PasswordHasher } from "../passwords.js";
import type { CaptchaVerifier, RateLimiter, SecondFactorGate, SessionIssuer } from "../ports.js";
import type { AccountMail } from "./mail.js";

/** The settings the account flows use (see config.ts for what each variable means). */
export interface AccountSettings {
  emailVerificationTtlSeconds: number;
  passwordResetTtlSeconds: number;
  confirmationTtlSeconds: number;
  /** Whether CheckEmail and Register may say that an address has an account. */
  revealAccounts: boolean;
  passwordMinLength: number;
  loginMaxFailuresPerAccount: number;
  loginMaxFailuresPerIp: number;
  lockoutSeconds: number;
  rateLimitWindowSeconds: number;
  registrationsPerIp: number;
  emailsPerAddress: number;
  emailsPerIp: number;
}

/** Everything the account flows need; built once in app.ts. */
export interface AccountDeps {
  config: AccountSettings;
  clock: Clock;
  store: Store;
  hasher: PasswordHasher;
  passwords: PasswordConfirmation;
  sessions: SessionIssuer;
  rateLimiter: RateLimiter;
  captcha: CaptchaVerifier;
  secondFactor: SecondFactorGate;
  mail: AccountMail;
  /** Where the public "email me" RPCs finish their work after answering (see after-reply.ts). */
  afterReply: AfterReply;
}
