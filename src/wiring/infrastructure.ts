// What every feature is built on: the database and its units of work, the clock, the logger, the
// keys derived from the master secret, outbound HTTP, delivery (outbox, notices), the rate limiter,
// password hashing and re-authentication, captcha, metrics and the health probe. Built first,
// closed last.
import { type Clock, systemClock } from "../clock.js";
import type { Config } from "../config.js";
import { createEmailSender } from "../delivery/mailer.js";
import { OutboxNotices } from "../delivery/notices.js";
import { Outbox } from "../delivery/outbox.js";
import { createSmsProvider } from "../delivery/sms.js";
import { createTemplates, type Templates } from "../delivery/templates.js";
import { ProfileCache } from "../domain/accounts/profile-cache.js";
import { createCaptchaVerifier } from "../domain/captcha.js";
import { HashQueue } from "../domain/hash-queue.js";
import type { Notices } from "../domain/notices.js";
import type { OutboundHttp } from "../domain/outbound.js";
import { PasswordConfirmation } from "../domain/password-confirmation.js";
import { PasswordHasher } from "../domain/passwords.js";
import { REAUTHENTICATION_REPOSITORIES, type Repositories } from "../domain/persistence.js";
import type { CaptchaVerifier, RateLimiter } from "../domain/ports.js";
import { Reauthentication, type Reauthenticator } from "../domain/reauthentication.js";
import { deriveKey, SecretBox } from "../domain/secret-box.js";
import { resolveMasterSecret } from "../domain/sessions/signing-keys.js";
import type { UnitOfWork } from "../domain/unit-of-work.js";
import { createLogger, type Logger } from "../logger.js";
import { createMetrics, type Metrics } from "../metrics.js";
import { createGuardedHttp } from "../outbound/guarded-http.js";
import { openDatabase, openReaders } from "../store/data-source.js";
import { HealthProbe } from "../store/health-probe.js";
import { DatabaseRateLimiter } from "../store/repositories/rate-limits.js";
import { Store } from "../store/store.js";
import { StoreUnitOfWork } from "../store/unit-of-work.js";
import type { Closer, Job, Wired } from "./wired.js";

const TEN_MINUTES_MS = 10 * 60_000;

export interface InfrastructureOptions {
  clock?: Clock;
  logger?: Logger;
}

/** Every at-rest key derives from AUTHD_SECRET (or the development secret under AUTHD_DATA_DIR). */
export interface Secrets {
  /** The master secret itself: the signing keys derive their own box from it. */
  master: string;
  /** A box sealing data at rest for one purpose ("authd/v1 totp secret encryption", ...). */
  box(purpose: string): SecretBox;
  /** A key for one purpose (an HMAC key, ...). */
  key(purpose: string): Uint8Array;
}

export interface Infrastructure {
  clock: Clock;
  logger: Logger;
  store: Store;
  /** A unit of work handing out only `names` (a feature's list, domain/persistence.ts). */
  unitOfWork<K extends keyof Repositories>(names: readonly K[]): UnitOfWork<Pick<Repositories, K>>;
  /**
   * GetCurrentUser's profiles (accounts), forgotten by the store's writes that change one here; here
   * because the units of work feed it. Another replica's change shows within PROFILE_BOUND_MS.
   */
  profiles: ProfileCache;
  secrets: Secrets;
  /**
   * Every request to the outside (provider documents, captcha, SMS webhook): https to public
   * addresses only, no redirects, bounded (src/outbound/); AUTHD_OUTBOUND_ALLOW_PRIVATE for development.
   */
  outbound: OutboundHttp;
  /** The queue of emails and SMS (a worker delivers them); `flush` delivers what is due now. */
  outbox: Outbox;
  /** The email texts, with links built from AUTHD_PUBLIC_URL. */
  templates: Templates;
  /** The domain asks for a notice by kind; delivery renders it and queues it in the outbox. */
  notices: Notices;
  rateLimiter: RateLimiter;
  hasher: PasswordHasher;
  /** Re-authentication with the account password, counted per account. */
  passwords: PasswordConfirmation;
  /**
   * The one re-authentication rule (password, recent second factor, session): every change of
   * credentials, factors, identities or another account, and every credential revealed, asks it.
   */
  reauth: Reauthenticator;
  captcha: CaptchaVerifier;
  metrics: Metrics;
  /** Health/Check's answer, from a periodic probe rather than a query per request. */
  isHealthy(): boolean;
}

export async function openInfrastructure(
  config: Config,
  options: InfrastructureOptions = {},
): Promise<Wired<Infrastructure>> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.logLevel);
  const store = await openStore(config, logger);
  const closers: Closer[] = [() => store.close()];
  try {
    const health = new HealthProbe(() => store.probe());
    await health.start();
    closers.push(() => health.stop());

    const profiles = new ProfileCache();
    const units = new StoreUnitOfWork(store, { profileChanged: (userId) => profiles.forget(userId) });
    const unitOfWork: Infrastructure["unitOfWork"] = (names) => units.scoped(names);
    const secrets = secretsFrom(resolveMasterSecret(config));
    const outbound = createGuardedHttp({ allowPrivate: config.outboundAllowPrivate });
    const outbox = new Outbox({
      store,
      clock,
      logger,
      email: createEmailSender({
        smtpUrl: config.smtpUrl,
        mailFrom: config.mailFrom,
        env: config.env,
        logger,
      }),
      sms: createSmsProvider({
        webhookUrl: config.smsWebhookUrl,
        webhookSecret: config.smsWebhookSecret,
        env: config.env,
        logger,
        clock,
        http: outbound,
      }),
      box: secrets.box("authd/v1 outbox payload"),
      pollIntervalMs: config.outboxPollIntervalMs,
      maxAttempts: config.outboxMaxAttempts,
    });
    outbox.start();
    closers.push(() => outbox.stop());
    const templates = createTemplates(config.publicUrl);
    const rateLimiter = new DatabaseRateLimiter(store, clock);
    const hasher = new PasswordHasher(
      {
        memoryKib: config.argon2MemoryKib,
        iterations: config.argon2Iterations,
        parallelism: config.argon2Parallelism,
      },
      new HashQueue({ concurrency: config.hashConcurrency, maxWaiting: config.hashQueueLength }),
    );
    const passwords = new PasswordConfirmation({
      hasher,
      rateLimiter,
      maxFailures: config.loginMaxFailuresPerAccount,
      windowSeconds: config.rateLimitWindowSeconds,
    });
    const jobs: Job[] = [
      // Ended rate-limit windows, and sent messages older than a week.
      { name: "rate limit purge", everyMs: TEN_MINUTES_MS, run: () => rateLimiter.purgeExpired() },
      { name: "outbox purge", everyMs: TEN_MINUTES_MS, run: () => outbox.purgeSent() },
    ];
    const face: Infrastructure = {
      clock,
      logger,
      store,
      unitOfWork,
      profiles,
      secrets,
      outbound,
      outbox,
      templates,
      notices: new OutboxNotices(outbox, templates),
      rateLimiter,
      hasher,
      passwords,
      reauth: new Reauthentication({
        uow: unitOfWork(REAUTHENTICATION_REPOSITORIES),
        clock,
        passwords,
        recentSignInSeconds: config.stepUpTtlSeconds,
      }),
      captcha: createCaptchaVerifier({
        verifyUrl: config.captchaVerifyUrl,
        secret: config.captchaSecret,
        logger,
        http: outbound,
      }),
      metrics: createMetrics({ store, clock, logger }),
      isHealthy: () => health.isHealthy(),
    };
    return { face, closers, jobs };
  } catch (error) {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    throw error;
  }
}

/** The database with its migrations applied, and the read connections beside the writer. */
async function openStore(config: Config, logger: Logger): Promise<Store> {
  const { dataSource, applied } = await openDatabase(config.databaseUrl);
  if (applied > 0) logger.info({ applied }, "database migrations applied");
  const readers = await openReaders(config.databaseUrl).catch(async (error: unknown) => {
    await dataSource.destroy();
    throw error;
  });
  return new Store(dataSource, readers);
}

function secretsFrom(master: string): Secrets {
  return {
    master,
    box: (purpose) => SecretBox.fromMasterSecret(master, purpose),
    key: (purpose) => deriveKey(master, purpose),
  };
}
