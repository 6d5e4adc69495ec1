// The domain's UnitOfWork over Store: a transaction's repositories, built on its EntityManager.
//
// While features move behind repositories, code that still holds an EntityManager reaches the
// repositories of its transaction with `txOf(em)`, and the reverse with `emOf(tx)`: both name the
// same transaction, never a new one.
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
import { refreshTokenRepository, sessionRepository } from "./repositories/sessions.js";
import { signingKeyRepository } from "./repositories/signing-keys.js";
import { tenantRepository } from "./repositories/tenants.js";
import { userRepository } from "./repositories/users.js";
import type { Store } from "./store.js";

const transactions = new WeakMap<EntityManager, Transaction>();
const managers = new WeakMap<Transaction, EntityManager>();

/** The repositories of `em`'s transaction (or of its reads). */
export function txOf(em: EntityManager): Transaction {
  let tx = transactions.get(em);
  if (!tx) {
    tx = {
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
    };
    transactions.set(em, tx);
    managers.set(tx, em);
  }
  return tx;
}

/** The EntityManager behind a transaction's repositories (for code not yet behind repositories). */
export function emOf(tx: Transaction): EntityManager {
  const em = managers.get(tx);
  if (!em) throw new Error("not a transaction of this store");
  return em;
}

export class StoreUnitOfWork implements UnitOfWork {
  constructor(private readonly store: Store) {}

  async run<T>(work: (tx: Transaction) => Promise<Outcome<T>>): Promise<T> {
    return settle(await this.store.transaction((em) => work(txOf(em))));
  }

  read<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.store.read((em) => work(txOf(em)));
  }

  afterTransaction(callback: () => void): void {
    this.store.afterTransaction(callback);
  }
}
