// The domain's UnitOfWork over Store: a transaction's repositories, built on its EntityManager. The
// EntityManager never leaves src/store/: the domain, delivery and the services see only repositories.
import type { EntityManager } from "typeorm";
import type { Transaction } from "../domain/persistence.js";
import { type Outcome, settle, type UnitOfWork } from "../domain/unit-of-work.js";
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

/** The repositories of `em`'s transaction (or of its reads): built here, and nowhere else. */
function transactionOf(em: EntityManager, accountsChanged: () => void): Transaction {
  const mfa = mfaRepositories(em);
  return {
    // recordSignIn writes the profile's last sign-in time.
    users: announcingWrites(userRepository(em), accountsChanged),
    accounts: announcingWrites(accountRepository(em), accountsChanged),
    accountData: announcingWrites(accountDataRepository(em), accountsChanged),
    sessions: sessionRepository(em),
    refreshTokens: refreshTokenRepository(em),
    apiKeys: apiKeyRepository(em),
    audit: auditRecorder(em),
    mfa: {
      ...mfa,
      authenticators: announcingWrites(mfa.authenticators, accountsChanged),
      recoveryCodes: announcingWrites(mfa.recoveryCodes, accountsChanged),
      users: announcingWrites(mfa.users, accountsChanged),
    },
    identities: linkedIdentityRepository(em),
    spentIdTokens: spentIdTokenRepository(em),
    oneTimeTokens: oneTimeTokenRepository(em),
    signingKeys: signingKeyRepository(em),
    deferredWork: deferredWorkRepository(em),
    tenants: tenantRepository(em),
    // Reads and a lock only: account writes go through `accounts`, which announces them.
    tenantUsers: tenantUserRepository(em),
    outbox: outboxRepository(em),
    rateLimits: rateLimitCounters(em),
  };
}

export interface StoreUnitOfWorkOptions {
  /**
   * Called after every write to an account or its second factors, and again when the writing
   * transaction settles (the profile cache forgets what it holds).
   */
  onAccountWrite?: () => void;
}

export class StoreUnitOfWork implements UnitOfWork {
  private readonly accountsChanged: () => void;

  constructor(
    private readonly store: Store,
    options: StoreUnitOfWorkOptions = {},
  ) {
    const listener = options.onAccountWrite;
    this.accountsChanged = listener
      ? () => {
          listener();
          store.afterTransaction(listener);
        }
      : () => undefined;
  }

  async run<T>(work: (tx: Transaction) => Promise<Outcome<T>>): Promise<T> {
    return settle(await this.store.transaction((em) => work(transactionOf(em, this.accountsChanged))));
  }

  read<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.store.read((em) => work(transactionOf(em, this.accountsChanged)));
  }

  afterTransaction(callback: () => void): void {
    this.store.afterTransaction(callback);
  }
}
