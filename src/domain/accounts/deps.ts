import type { Clock } from "../../clock.js";
import type { ContinueUrlRule } from "../continue-url.js";
import type { PasswordConfirmation } from "../password-confirmation.js";
import type { PasswordHasher } from "../passwords.js";
import type { AccountRepositories } from "../persistence.js";
import type { CaptchaVerifier, RateLimiter, SecondFactorGate } from "../ports.js";
import type { Reauthenticator } from "../reauthentication.js";
import type { ApiKeyRevoker, SessionIssuer } from "../sessions/index.js";
import type { Transaction, UnitOfWork } from "../unit-of-work.js";
import type { AccountMail } from "./mail.js";
import type { ProfileCache } from "./profile-cache.js";

/** The settings the account flows use (see config.ts for what each variable means). */
export interface AccountSettings {
  emailVerificationTtlSeconds: number;
  passwordResetTtlSeconds: number;
  confirmationTtlSeconds: number;
  /** Whether CheckEmail and Register may say that an address has an account. */
  revealAccounts: boolean;
  /** False: Login signs in accounts whose email is not verified yet. */
  requireEmailVerification: boolean;
  /** Register creates the account at once and answers its tokens (registration-sign-in.ts). */
  signInAtRegistration: boolean;
  passwordMinLength: number;
  loginMaxFailuresPerAccount: number;
  loginMaxFailuresPerIp: number;
  lockoutSeconds: number;
  rateLimitWindowSeconds: number;
  registrationsPerIp: number;
  emailsPerAddress: number;
  emailsPerIp: number;
  /** Where emailed links may send the user afterwards (continue_url; see continue-url.ts). */
  continueUrlAllowList: readonly ContinueUrlRule[];
  /** The terms and privacy-policy versions Register must be given; undefined: not required. */
  requiredTermsVersion: string | undefined;
  requiredPrivacyVersion: string | undefined;
}

/**
 * Where the public "email me" RPCs record work before answering and do it after (after-reply.ts):
 * each recorded piece is done once, in the transaction that claims it.
 */
export interface DeferredWork {
  /** Records the work (await it before answering); it is done once the answer is on its way. */
  defer(kind: string, payload: object): Promise<void>;
  handle(
    kind: string,
    handler: (tx: Transaction<AccountRepositories>, payload: unknown) => Promise<void>,
  ): void;
  /** Resolves once every piece of work started so far has finished (shutdown, tests). */
  settled(): Promise<void>;
}

/**
 * What the accounts feature is built from (src/wiring/wire-accounts.ts builds it, createAccounts in
 * index.ts takes it). No use case takes all of it: each names what it uses (`Uses`).
 */
export interface AccountDeps {
  config: AccountSettings;
  clock: Clock;
  /** Each use case runs its reads and writes through it, in its own transaction. */
  uow: UnitOfWork<AccountRepositories>;
  hasher: PasswordHasher;
  /** The password alone, for what needs no second factor (username, closure by emailed link). */
  passwords: PasswordConfirmation;
  sessions: SessionIssuer;
  /** Closure and recovery end the account's API keys as well as its sessions. */
  apiKeys: ApiKeyRevoker;
  rateLimiter: RateLimiter;
  captcha: CaptchaVerifier;
  secondFactor: SecondFactorGate;
  /** The one re-authentication rule (password and recent second factor): password, email, mobile. */
  reauth: Reauthenticator;
  mail: AccountMail;
  /** Where the public "email me" RPCs finish their work after answering (see after-reply.ts). */
  afterReply: DeferredWork;
  /**
   * GetCurrentUser's profiles; the store clears it on every account or second-factor write (wired in
   * src/wiring/infrastructure.ts). Without it every read goes to the database.
   */
  profiles?: ProfileCache;
}

/** The parts of AccountDeps beside its settings. */
type Parts = Omit<AccountDeps, "config">;

/**
 * What one use case or helper of the feature takes: the parts it names (`P`) and the settings it
 * reads (`S`), so its signature says what it reaches. The whole AccountDeps satisfies any of them.
 */
export type Uses<P extends keyof Parts = never, S extends keyof AccountSettings = never> = Pick<Parts, P> &
  ([S] extends [never] ? unknown : { config: Pick<AccountSettings, S> });
