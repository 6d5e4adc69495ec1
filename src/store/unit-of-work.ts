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
import type { ProfileChanged } from "./repositories/profile-changed.js";
import { rateLimitCounters } from "./repositories/rate-limits.js";
import { refreshTokenRepository, sessionRepository } from "./repositories/sessions.js";
import { signingKeyRepository } from "./repositories/signing-keys.js";
import { spentIdTokenRepository } from "./repositories/spent-id-tokens.js";
import { tenantUserRepository } from "./repositories/tenant-admins.js";
import { tenantRepository } from "./repositories/tenants.js";
import { userRepository } from "./repositories/users.js";
import type { Store } from "./store.js";

type Name = keyof Repositories;

/** How each repository is built on a transaction's EntityManager: here, and nowhere else. */
function builders(profileChanged: ProfileChanged): { [K in Name]: (em: EntityManager) => Repositories[K] } {
  return {
    // The repositories whose writes change a profile get the hook, and call it in exactly those.
    users: (em) => userRepository(em, profileChanged),
    accounts: (em) => accountRepository(em, profileChanged),
    accountData: (em) => accountDataRepository(em, profileChanged),
    sessions: sessionRepository,
    refreshTokens: refreshTokenRepository,
    apiKeys: apiKeyRepository,
    audit: auditRecorder,
    mfa: (em) => mfaRepositories(em, profileChanged),
    identities: linkedIdentityRepository,
    spentIdTokens: spentIdTokenRepository,
    oneTimeTokens: oneTimeTokenRepository,
    signingKeys: signingKeyRepository,
    deferredWork: deferredWorkRepository,
    tenants: tenantRepository,
    // Reads and a lock only: account writes go through `accounts`.
    tenantUsers: tenantUserRepository,
    outbox: outboxRepository,
    rateLimits: rateLimitCounters,
  };
}

export interface StoreUnitOfWorkOptions {
  /**
   * Called by each write that changes a profile (repositories/profile-changed.ts) with the account's
   * id when the write knows it, and again when the writing transaction settles: the profile cache
   * forgets it then too, so a read that raced the write cannot cache the old profile for good. A
   * change on another replica shows within the cache's own bound (PROFILE_BOUND_MS).
   */
  profileChanged?: ProfileChanged;
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
    const listener = options.profileChanged;
    this.build = builders(
      listener
        ? (userId) => {
            listener(userId);
            store.afterTransaction(() => listener(userId));
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
