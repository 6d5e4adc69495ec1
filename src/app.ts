// The composition root: builds the app from configuration, once, and hands it to the transport. Each
// part is wired by its own function (src/wiring/), in dependency order, so nothing is used before it
// exists; each answers its face, what to close at shutdown and its periodic jobs, which one
// scheduler runs. Shutdown stops the jobs, then closes the parts in reverse order, the database last.
import type { Clock } from "./clock.js";
import type { Config } from "./config.js";
import type { Outbox } from "./delivery/outbox.js";
import type { Templates } from "./delivery/templates.js";
import type { Accounts } from "./domain/accounts/index.js";
import type { Administration } from "./domain/administration/index.js";
import type { Identities } from "./domain/identities/index.js";
import type { Mfa } from "./domain/mfa/index.js";
import type { PasswordHasher } from "./domain/passwords.js";
import type { SessionIssuer, Sessions, TokenAuthenticator } from "./domain/sessions/index.js";
import type { SigningKeys } from "./domain/sessions/signing-keys.js";
import type { Tenants } from "./domain/tenants/index.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";
import type { Store } from "./store/store.js";
import {
  type Infrastructure,
  type InfrastructureOptions,
  openInfrastructure,
} from "./wiring/infrastructure.js";
import { Scheduler } from "./wiring/scheduler.js";
import { wireAccounts } from "./wiring/wire-accounts.js";
import { wireAdministration } from "./wiring/wire-administration.js";
import { wireIdentities } from "./wiring/wire-identities.js";
import { wireMfa } from "./wiring/wire-mfa.js";
import { wireSessions } from "./wiring/wire-sessions.js";
import { wireTenants } from "./wiring/wire-tenants.js";
import type { Wired } from "./wiring/wired.js";

export type AppOptions = InfrastructureOptions;

/**
 * What server.ts and the command line reach: the features, each handed to the one service that
 * needs it (routes.ts takes only RouteFeatures), and the process-wide parts (config, logger, close).
 */
export interface App {
  config: Config;
  clock: Clock;
  logger: Logger;
  /** Sessions, their tokens and API keys (SessionService, AuthService's Refresh and Logout). */
  sessions: Sessions;
  /** Second factors, challenges, trusted devices, step-up (MfaService). */
  mfa: Mfa;
  /** Registration, sign-in with a password, passwords, the profile, closure (AuthService). */
  accounts: Accounts;
  /** Provider sign-in (OpenID Connect) and linked identities. */
  identities: Identities;
  /** The one path from a credential (access token, API key) to its caller. */
  credentials: TokenAuthenticator;
  /** Tenants (companies): the operator's use cases, `authd admin create`, the pending release. */
  tenants: Tenants;
  /** An administrator's use cases on a tenant's accounts (ListUsers ... ListAuditEvents). */
  administration: Administration;
  /** The public signing keys, as served at /.well-known/jwks.json. */
  jwks(): Promise<{ keys: object[] }>;
  /** Prometheus metrics (served only where AUTHD_METRICS_ADDR / AUTHD_METRICS_TOKEN say). */
  metrics: Metrics;
  isHealthy(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * The parts the app is built on, for tests (seeding, inspecting, delivering mail now) and nothing
 * else: no service or feature reaches them through here.
 */
export interface AppInternals {
  store: Store;
  /** A unit of work over the repositories `names` lists. */
  unitOfWork: Infrastructure["unitOfWork"];
  /** The queue of emails and SMS; `flush()` delivers what is due now. */
  outbox: Outbox;
  /** The work Register and the "email me" RPCs leave for after their answer; `settled()` waits for it. */
  afterReply: { settled(): Promise<void> };
  /** The email texts, with links built from AUTHD_PUBLIC_URL. */
  templates: Templates;
  hasher: PasswordHasher;
  signingKeys: SigningKeys;
  /** Sessions made as a sign-in makes them, in a transaction of the test's. */
  sessions: SessionIssuer;
}

export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  return (await assembleApp(config, options)).app;
}

/** The app, and its internals for the tests' seeding and inspection helper (test/helpers/server.ts). */
export async function assembleApp(
  config: Config,
  options: AppOptions = {},
): Promise<{ app: App; inspect: AppInternals }> {
  const parts: Array<Wired<unknown>> = [];
  const add = <Face>(part: Wired<Face>): Face => {
    parts.push(part);
    return part.face;
  };
  const closeParts = async () => {
    for (const part of parts.splice(0).reverse()) {
      for (const close of part.closers.reverse()) await close();
    }
  };
  try {
    const infra = add(await openInfrastructure(config, options));
    const { sessions, issuer, apiKeys, credentials, signingKeys } = add(await wireSessions(infra, config));
    const { mfa, secondFactor } = add(wireMfa(infra, config, { sessions: issuer }));
    const tenants = add(wireTenants(infra, config, { sessions: issuer }));
    const administration = add(
      wireAdministration(infra, config, { sessions: issuer, secondFactor, apiKeys }),
    );
    const { accounts, afterReply } = add(
      wireAccounts(infra, config, { sessions: issuer, secondFactor, apiKeys }),
    );
    const identities = add(wireIdentities(infra, config, { sessions: issuer, secondFactor }));

    const scheduler = new Scheduler(infra.logger);
    scheduler.start(parts.flatMap((part) => part.jobs));
    const app: App = {
      config,
      clock: infra.clock,
      logger: infra.logger,
      sessions,
      mfa,
      accounts,
      identities,
      credentials,
      tenants,
      administration,
      jwks: () => signingKeys.jwks(),
      metrics: infra.metrics,
      async isHealthy() {
        return infra.isHealthy();
      },
      async close() {
        await scheduler.stop();
        await closeParts();
      },
    };
    const { store, unitOfWork, outbox, templates, hasher } = infra;
    return {
      app,
      inspect: { store, unitOfWork, outbox, afterReply, templates, hasher, signingKeys, sessions: issuer },
    };
  } catch (error) {
    await closeParts();
    throw error;
  }
}
