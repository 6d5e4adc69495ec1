import type { Clock } from "../../clock.js";
import type { Config } from "../../config.js";
import type { Store } from "../../store/store.js";
import type { AfterReply } from "../after-reply.js";
import type { PasswordConfirmation } from "../password-confirmation.js";
import type { PasswordHasher } from "../passwords.js";
import type { CaptchaVerifier, RateLimiter, SecondFactorGate, SessionIssuer } from "../ports.js";
import type { AccountMail } from "./mail.js";

/** Everything the account flows need; built once in app.ts. */
export interface AccountDeps {
  config: Config;
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
