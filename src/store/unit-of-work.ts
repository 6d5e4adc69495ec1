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
import { tenantRepository } from "./repositories/tenants.js";
import { userRepository } from "./repositories/users.js";
import type { Store } from "./store.js";

/** The repositories of `em`'s transaction (or of its reads): built here, and nowhere else. */
function transactionOf(em: EntityManager): Transaction {
  return {
    users: userRepository(em),
    accounts: accountRepository(em),
    accountData: accountDataRepository(em),
    sessions: sessionRepository(em),
    refreshTokens: refreshTokenRepository(em),
    apiKeys: apiKeyRepository(em),
    audit: auditRecorder(em),
    mfa: mfaRepositories(em),
    identities: linkedIdentityRepository(em),
    oneTimeTokens: oneTimeTokenRepository(em),
    signingKeys: signingKeyRepository(em),
    deferredWork: deferredWorkRepository(em),
    tenants: tenantRepository(em),
    outbox: outboxRepository(em),
    rateLimits: rateLimitCounters(em),
  };
}

export class StoreUnitOfWork implements UnitOfWork {
  constructor(private readonly store: Store) {}

  async run<T>(work: (tx: Transaction) => Promise<Outcome<T>>): Promise<T> {
    return settle(await this.store.transaction((em) => work(transactionOf(em))));
  }

  read<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.store.read((em) => work(transactionOf(em)));
  }

  afterTransaction(callback: () => void): void {
    this.store.afterTransaction(callback);
  }
}
