// The domain's UnitOfWork over Store: a transaction's repositories, built on its EntityManager. The
// EntityManager never leaves src/store/: the domain, delivery and the services see only repositories.
// Each feature gets a unit of work scoped to the repositories it lists (domain/persistence.ts): its
// handles hold those and nothing else, each built on first use, so a use case pays for what it reads.
import type { EntityManager } from "typeorm";
import type { Repositories } from "../domain/persistence.js";
import {
  type Outcome,
  type Reads,
  settle,
  type Transaction,
  type UnitOfWork,
} from "../domain/unit-of-work.js";
import { accountDataRepository } from "./repositories/account-data.js";
import { accountRepository } from "./repositories/accounts.js";
import { apiKeyRepository } from "./repositories/api-keys.js";
import { auditRecorder } from "./repositories/audit.js";
import { deferredWorkRepository } from "./repositories/deferred-work.js";
import { linkedIdentityRepository } from "./repositories/identities.js";
import { mfaRepositories } from "./repositories/mfa.js";
import { oneTimeTokenRepository } from "./repositories/one-time-tokens.js";
import { outboxRepository } from "./repositories/outbox.js";
import { rateLimitCounters } from "./repositories/rate-limits.js";
import { refreshTokenRepository, sessionRepository } from "./repositories/sessions.js";
import { signingKeyRepository } from "./repositories/signing-keys.js";
import { spentIdTokenRepository } from "./repositories/spent-id-tokens.js";
import { tenantUserRepository } from "./repositories/tenant-admins.js";
import { tenantRepository } from "./repositories/tenants.js";
import { userRepository } from "./repositories/users.js";
import type { Store } from "./store.js";

type Name = keyof Repositories;

/** A method name that only reads; every other method of a wrapped repository counts as a write. */
const READS = /^(find|list|count|is|get|has)/;

/**
 * `repository` with every write followed by `changed()` (whether it succeeded or not: forgetting too
 * much is harmless). A method added later is a write unless named as a read, so it cannot be missed.
 */
function announcingWrites<T extends object>(repository: T, changed: () => void): T {
  const wrapped = { ...repository } as Record<string, unknown>;
  for (const [name, method] of Object.entries(repository)) {
    if (typeof method !== "function" || READS.test(name)) continue;
    wrapped[name] = async (...args: unknown[]) => {
      try {
        return await (method as (...args: unknown[]) => Promise<unknown>)(...args);
      } finally {
        changed();
      }
    };
  }
  return wrapped as T;
}

/** How each repository is built on a transaction's EntityManager: here, and nowhere else. */
function builders(accountsChanged: () => void): { [K in Name]: (em: EntityManager) => Repositories[K] } {
  return {
    // recordSignIn writes the profile's last sign-in time.
    users: (em) => announcingWrites(userRepository(em), accountsChanged),
    accounts: (em) => announcingWrites(accountRepository(em), accountsChanged),
    accountData: (em) => announcingWrites(accountDataRepository(em), accountsChanged),
    sessions: sessionRepository,
    refreshTokens: refreshTokenRepository,
    apiKeys: apiKeyRepository,
    audit: auditRecorder,
    mfa: (em) => {
      const mfa = mfaRepositories(em);
      return {
        ...mfa,
        authenticators: announcingWrites(mfa.authenticators, accountsChanged),
        recoveryCodes: announcingWrites(mfa.recoveryCodes, accountsChanged),
        users: announcingWrites(mfa.users, accountsChanged),
      };
    },
    identities: linkedIdentityRepository,
    spentIdTokens: spentIdTokenRepository,
    oneTimeTokens: oneTimeTokenRepository,
    signingKeys: signingKeyRepository,
    deferredWork: deferredWorkRepository,
    tenants: tenantRepository,
    // Reads and a lock only: account writes go through `accounts`, which announces them.
    tenantUsers: tenantUserRepository,
    outbox: outboxRepository,
    rateLimits: rateLimitCounters,
  };
}

export interface StoreUnitOfWorkOptions {
  /**
   * Called after every write to an account or its second factors, and again when the writing
   * transaction settles (the profile cache forgets what it holds).
   */
  onAccountWrite?: () => void;
}

/**
 * The store's units of work: `scoped(names)` gives a feature's, whose handles hold only `names`; the
 * instance itself is the unit of work over every repository (for tests and the command line).
 */
export class StoreUnitOfWork implements UnitOfWork<Repositories> {
  private readonly build: ReturnType<typeof builders>;
  private readonly all: UnitOfWork<Repositories>;

  constructor(
    private readonly store: Store,
    options: StoreUnitOfWorkOptions = {},
  ) {
    const listener = options.onAccountWrite;
    this.build = builders(
      listener
        ? () => {
            listener();
            store.afterTransaction(listener);
          }
        : () => undefined,
    );
    // Every repository: the builders' keys (their type makes them the whole set).
    this.all = this.scoped(Object.keys(this.build) as Name[]);
  }

  /** A unit of work whose handles hold only the repositories `names` lists. */
  scoped<K extends Name>(names: readonly K[]): UnitOfWork<Pick<Repositories, K>> {
    const unique = [...new Set(names)];
    const handle = <Kind extends "transaction" | "reads">(em: EntityManager, kind: Kind) => {
      const built: Partial<Repositories> = {};
      const handle = { kind } as Pick<Repositories, K> & { readonly kind: Kind };
      for (const name of unique) {
        Object.defineProperty(handle, name, {
          enumerable: true,
          get: () => (built[name] ??= this.build[name](em) as never),
        });
      }
      return handle;
    };
    const { store } = this;
    return {
      async run<T>(work: (tx: Transaction<Pick<Repositories, K>>) => Promise<Outcome<T>>): Promise<T> {
        return settle(await store.transaction((em) => work(handle(em, "transaction"))));
      },
      read<T>(work: (reads: Reads<Pick<Repositories, K>>) => Promise<T>): Promise<T> {
        return store.read((em) => work(handle(em, "reads")));
      },
      afterTransaction(callback: () => void): void {
        store.afterTransaction(callback);
      },
    };
  }

  run<T>(work: (tx: Transaction<Repositories>) => Promise<Outcome<T>>): Promise<T> {
    return this.all.run(work);
  }

  read<T>(work: (reads: Reads<Repositories>) => Promise<T>): Promise<T> {
    return this.all.read(work);
  }

  afterTransaction(callback: () => void): void {
    this.store.afterTransaction(callback);
  }
}
