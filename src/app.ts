// The composition root: builds the domain from configuration, once, and hands it to the transport.
// Each part of the domain is wired in its own block below.
import { type Clock, systemClock } from "./clock.js";
import type { Config } from "./config.js";
import { createEmailSender } from "./delivery/mailer.js";
import { OutboxNotices } from "./delivery/notices.js";
import { Outbox } from "./delivery/outbox.js";
import { createSmsProvider } from "./delivery/sms.js";
import { createTemplates, type Templates } from "./delivery/templates.js";
import { AccessTokens } from "./domain/access-tokens.js";
import { handleAccountWork } from "./domain/accounts/deferred.js";
import type { AccountDeps } from "./domain/accounts/deps.js";
import { AccountMail } from "./domain/accounts/mail.js";
import { ProfileCache } from "./domain/accounts/profile-cache.js";
import { AfterReply } from "./domain/after-reply.js";
import { ApiKeys } from "./domain/api-keys.js";
import { Credentials, type TokenAuthenticator } from "./domain/callers.js";
import { createCaptchaVerifier } from "./domain/captcha.js";
import { HashQueue } from "./domain/hash-queue.js";
import type { IdentityDeps } from "./domain/identities/deps.js";
import { Providers } from "./domain/identities/providers.js";
import { purgeSpentIdTokens } from "./domain/identities/replay.js";
import { Mfa } from "./domain/mfa/mfa.js";
import { PasswordConfirmation } from "./domain/password-confirmation.js";
import { PasswordHasher } from "./domain/passwords.js";
import {
  ACCOUNT_REPOSITORIES,
  API_KEY_REPOSITORIES,
  IDENTITY_REPOSITORIES,
  MFA_REPOSITORIES,
  SESSION_REPOSITORIES,
  SIGNING_KEY_REPOSITORIES,
  TENANT_REPOSITORIES,
} from "./domain/persistence.js";
import type { CaptchaVerifier, SecondFactorGate } from "./domain/ports.js";
import { deriveKey, SecretBox } from "./domain/secret-box.js";
import { SessionCache } from "./domain/session-cache.js";
import { Sessions } from "./domain/sessions.js";
import { resolveMasterSecret, SigningKeys } from "./domain/signing-keys.js";
import { tenantAdmits } from "./domain/tenants/gate.js";
import { Roles } from "./domain/tenants/roles.js";
import { TenantUsers } from "./domain/tenants/tenant-users.js";
import { Tenants } from "./domain/tenants/tenants.js";
import { TenantUserAdmin } from "./domain/tenants/user-admin.js";
import { createLogger, type Logger } from "./logger.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { openDatabase, openReaders } from "./store/data-source.js";
import { HealthProbe } from "./store/health-probe.js";
import { DatabaseRateLimiter } from "./store/repositories/rate-limits.js";
import { RevocationChannel } from "./store/revocation-channel.js";
import { Store } from "./store/store.js";
import { StoreUnitOfWork } from "./store/unit-of-work.js";

export interface AppOptions {
  clock?: Clock;
  logger?: Logger;
}

/**
 * What server.ts and the tests reach: the features, each handed to the one service that needs it
 * (routes.ts takes only RouteFeatures), and the process-wide parts (config, logger, close). The
 * store, the outbox and the hasher are here for the tests; no service is built from them.
 */
export interface App {
  config: Config;
  clock: Clock;
  logger: Logger;
  store: Store;
  sessions: Sessions;
  signingKeys: SigningKeys;
  apiKeys: ApiKeys;
  /** The MessageQueue of emails and SMS; `flush()` delivers what is due now (tests). */
  outbox: Outbox;
  /** The email texts, with links built from AUTHD_PUBLIC_URL. */
  templates: Templates;
  /** Second factors, challenges, trusted devices, step-up (MfaService). */
  mfa: Mfa;
  hasher: PasswordHasher;
  accounts: AccountDeps;
  /** Provider sign-in (OpenID Connect) and linked identities. */
  identities: IdentityDeps;
  /** The one path from a credential (access token, API key) to its caller. */
  credentials: TokenAuthenticator;
  /** Tenants (companies) and the roles a deployment knows. */
  tenants: Tenants;
  roles: Roles;
  /** A tenant admin's view of the tenant's users' sessions and audit trail. */
  tenantUsers: TenantUserAdmin;
  /** A tenant admin's use cases on the tenant's accounts (ListUsers ... DeleteUser). */
  tenantAccounts: TenantUsers;
  /** The public signing keys, as served at /.well-known/jwks.json. */
  jwks(): Promise<{ keys: object[] }>;
  /** Prometheus metrics (served only where AUTHD_METRICS_ADDR / AUTHD_METRICS_TOKEN say). */
  metrics: Metrics;
  isHealthy(): Promise<boolean>;
  close(): Promise<void>;
}

export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.logLevel);
  const { dataSource, applied } = await openDatabase(config.databaseUrl);
  if (applied > 0) logger.info({ applied }, "database migrations applied");
  const store = new Store(
    dataSource,
    await openReaders(config.databaseUrl).catch(async (error: unknown) => {
      await dataSource.destroy();
      throw error;
    }),
  );
  const closers: Array<() => Promise<void>> = [];
  // Health/Check answers from a periodic probe, not a query per request.
  const health = new HealthProbe(() => store.probe());
  await health.start();
  closers.push(() => health.stop());

  // ---- delivery, rate limits, captcha (accounts issue) ----
  // AUTHD_SECRET, or the development secret under AUTHD_DATA_DIR: every at-rest key derives from it.
  const masterSecret = resolveMasterSecret(config);
  const outbox = new Outbox({
    store,
    clock,
    logger,
    email: createEmailSender({ smtpUrl: config.smtpUrl, mailFrom: config.mailFrom, env: config.env, logger }),
    sms: createSmsProvider({
      webhookUrl: config.smsWebhookUrl,
      webhookSecret: config.smsWebhookSecret,
      env: config.env,
      logger,
      clock,
    }),
    box: SecretBox.fromMasterSecret(masterSecret, "authd/v1 outbox payload"),
    pollIntervalMs: config.outboxPollIntervalMs,
    maxAttempts: config.outboxMaxAttempts,
  });
  outbox.start();
  closers.push(() => outbox.stop());
  const templates = createTemplates(config.publicUrl);
  // The domain asks for a notice by kind; delivery renders it and queues it in the outbox.
  const notices = new OutboxNotices(outbox, templates);
  const rateLimiter = new DatabaseRateLimiter(store, clock);
  // Housekeeping: ended rate-limit windows, and sent messages older than a week.
  const housekeeping = setInterval(() => {
    rateLimiter.purgeExpired().catch((err) => logger.warn({ err }, "rate limit cleanup failed"));
    outbox.purgeSent().catch((err) => logger.warn({ err }, "outbox cleanup failed"));
  }, 10 * 60_000);
  housekeeping.unref();
  closers.push(async () => clearInterval(housekeeping));
  const captcha: CaptchaVerifier = createCaptchaVerifier({
    verifyUrl: config.captchaVerifyUrl,
    secret: config.captchaSecret,
    logger,
  });

  // ---- passwords: hashing and re-authentication (accounts issue) ----
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

  // ---- sessions and tokens (sessions issue) ----
  // GetCurrentUser's profiles: forgotten by the store's writes that change one here; another
  // replica's change shows within PROFILE_BOUND_MS (the entries' age).
  const profiles = new ProfileCache();
  const uow = new StoreUnitOfWork(store, { profileChanged: (userId) => profiles.forget(userId) });
  const signingKeys = new SigningKeys(
    uow.scoped(SIGNING_KEY_REPOSITORIES),
    clock,
    config.accessTokenTtlSeconds,
    masterSecret,
  );
  await signingKeys.init().catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  const accessTokens = new AccessTokens(signingKeys, clock, config);
  // The step-up check is MFA's, built below; it is called only once requests arrive.
  const apiKeys = new ApiKeys({
    uow: uow.scoped(API_KEY_REPOSITORIES),
    clock,
    passwords,
    stepUp: { requireRecent: (c): Promise<void> => mfa.requireRecent(c) },
  });
  // The per-request session check answers from memory; on PostgreSQL other replicas' revocations
  // arrive by LISTEN/NOTIFY (see revocation-channel.ts for the bound).
  const revocations =
    store.dialect === "postgres"
      ? new RevocationChannel(
          config.databaseUrl,
          { revoked: (ids) => sessions.forgetRevoked(ids), listening: () => sessions.forgetAll() },
          logger,
        )
      : undefined;
  const sessionSettings = {
    sessionTtlSeconds: config.sessionTtlSeconds,
    sessionMaxTtlSeconds: config.sessionMaxTtlSeconds,
    sessionIdleTimeoutSeconds: config.sessionIdleTimeoutSeconds,
    refreshReuseGraceSeconds: config.refreshReuseGraceSeconds,
  };
  const sessionUow = uow.scoped(SESSION_REPOSITORIES);
  const sessions = new Sessions(sessionUow, clock, sessionSettings, accessTokens, apiKeys, {
    cache: new SessionCache(revocations),
    publishRevocations: revocations ? (tx, ids) => tx.sessions.announceRevoked(ids) : undefined,
    logger,
  });
  if (revocations) {
    await revocations.start();
    closers.push(() => revocations.stop());
  }
  closers.push(() => sessions.close());
  const jwks = () => signingKeys.jwks();
  const credentials = new Credentials(accessTokens, sessions, apiKeys, (tenantId) =>
    sessionUow.read((reads) => tenantAdmits(reads, tenantId)),
  );

  // ---- tenants (tenants issue) ----
  const tenantUow = uow.scoped(TENANT_REPOSITORIES);
  const tenants = new Tenants(tenantUow, clock, sessions, {
    pendingTenantTtlSeconds: config.pendingTenantTtlSeconds,
  });
  // Housekeeping: companies whose first admin never verified (AUTHD_PENDING_TENANT_TTL) free their slugs.
  const releasePending = setInterval(() => {
    tenants.releaseUnverified().catch((err) => logger.warn({ err }, "pending tenant release failed"));
  }, 10 * 60_000);
  releasePending.unref();
  closers.push(async () => clearInterval(releasePending));
  const roles = new Roles(config.roles);
  const tenantUsers = new TenantUserAdmin(tenantUow, clock, sessions);

  // ---- second factor (MFA issue) ----
  const mfa = new Mfa(
    {
      clock,
      notices,
      sessions,
      box: SecretBox.fromMasterSecret(masterSecret, "authd/v1 totp secret encryption"),
      codeKey: deriveKey(masterSecret, "authd/v1 sent code hmac"),
      totpIssuer: config.totpIssuer,
      trustedDeviceTtlSeconds: config.trustedDeviceTtlSeconds,
      stepUpTtlSeconds: config.stepUpTtlSeconds,
      rateLimiter,
      codesPerUser: config.emailsPerAddress,
      recoveryCodeRegenerations: config.recoveryCodeRegenerations,
      rateLimitWindowSeconds: config.rateLimitWindowSeconds,
      hasher,
      passwords,
    },
    uow.scoped(MFA_REPOSITORIES),
  );
  const secondFactor: SecondFactorGate = mfa;
  const purgeMfa = setInterval(() => {
    mfa.purgeExpired().catch((err) => logger.warn({ err }, "MFA cleanup failed"));
  }, 10 * 60_000);
  purgeMfa.unref();
  closers.push(async () => clearInterval(purgeMfa));

  const tenantAccounts = new TenantUsers({
    uow: tenantUow,
    clock,
    hasher,
    notices,
    sessions,
    secondFactor,
    roles,
    access: tenantUsers,
    passwordMinLength: config.passwordMinLength,
    invitationTtlSeconds: config.passwordResetTtlSeconds,
  });

  // ---- accounts (accounts issue) ----
  const accountUow = uow.scoped(ACCOUNT_REPOSITORIES);
  const afterReply = new AfterReply({ uow: accountUow, clock, logger });
  // Runs before the outbox and the store close (closers run in reverse), so no answered request loses its work.
  closers.push(() => afterReply.stop());
  const accounts: AccountDeps = {
    config: {
      emailVerificationTtlSeconds: config.emailVerificationTtlSeconds,
      passwordResetTtlSeconds: config.passwordResetTtlSeconds,
      confirmationTtlSeconds: config.confirmationTtlSeconds,
      revealAccounts: config.revealAccounts,
      requireEmailVerification: config.requireEmailVerification,
      signInAtRegistration: config.signInAtRegistration,
      passwordMinLength: config.passwordMinLength,
      loginMaxFailuresPerAccount: config.loginMaxFailuresPerAccount,
      loginMaxFailuresPerIp: config.loginMaxFailuresPerIp,
      lockoutSeconds: config.lockoutSeconds,
      rateLimitWindowSeconds: config.rateLimitWindowSeconds,
      registrationsPerIp: config.registrationsPerIp,
      emailsPerAddress: config.emailsPerAddress,
      emailsPerIp: config.emailsPerIp,
      continueUrlAllowList: config.continueUrlAllowList,
      requiredTermsVersion: config.requiredTermsVersion,
      requiredPrivacyVersion: config.requiredPrivacyVersion,
    },
    clock,
    uow: accountUow,
    hasher,
    passwords,
    rateLimiter,
    captcha,
    mail: new AccountMail(notices),
    profiles,
    sessions,
    secondFactor,
    stepUp: mfa,
    afterReply,
  };
  handleAccountWork(accounts);
  afterReply.start();

  // ---- provider sign-in (OpenID Connect) ----
  const identities: IdentityDeps = {
    uow: uow.scoped(IDENTITY_REPOSITORIES),
    clock,
    providers: new Providers(config.oidcProviders, clock),
    box: SecretBox.fromMasterSecret(masterSecret, "authd/v1 provider tokens"),
    notices,
    signIn: { secondFactor, sessions, clock },
    passwords,
    stepUp: mfa,
    rateLimiter,
    limits: {
      loginMaxFailuresPerIp: config.loginMaxFailuresPerIp,
      rateLimitWindowSeconds: config.rateLimitWindowSeconds,
    },
  };
  // Housekeeping: the spent ID tokens that have expired (they verify nowhere now).
  const purgeSpent = setInterval(() => {
    purgeSpentIdTokens(identities).catch((err) => logger.warn({ err }, "spent ID token cleanup failed"));
  }, 10 * 60_000);
  purgeSpent.unref();
  closers.push(async () => clearInterval(purgeSpent));

  // ---- metrics (operations issue) ----
  const metrics = createMetrics({ store, clock, logger });

  return {
    config,
    clock,
    logger,
    store,
    sessions,
    signingKeys,
    apiKeys,
    outbox,
    templates,
    mfa,
    hasher,
    accounts,
    identities,
    credentials,
    tenants,
    roles,
    tenantUsers,
    tenantAccounts,
    jwks,
    metrics,
    async isHealthy() {
      return health.isHealthy();
    },
    async close() {
      for (const close of closers.reverse()) await close();
      await store.close();
    },
  };
}
