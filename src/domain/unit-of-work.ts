// The domain's unit of work. A use case (one method of a feature service) runs its reads and writes
// in one transaction through the repositories the transaction gives it (persistence.ts declares
// them; src/store implements them). Handlers never open a transaction.
//
// "Record this failure, then fail": some failures must leave a trace that survives the failed
// request (a counted wrong code, a session revoked because its refresh token was reused). The work
// then answers `commitThenFail(error)`: the transaction commits, and the error is thrown after the
// commit. Throwing inside the work instead rolls everything back. This is the one idiom for it.
import type { DomainError } from "./errors.js";
import type { Transaction } from "./persistence.js";

/** What a unit of work answers: a result to commit, or an error to throw once the writes committed. */
export type Outcome<T> = { commit: T } | { commitThenFail: DomainError };

export const commit = <T>(value: T): Outcome<T> => ({ commit: value });
export const commitThenFail = (error: DomainError): Outcome<never> => ({ commitThenFail: error });

/** The committed result, or the error to throw now that its transaction committed. */
export function settle<T>(outcome: Outcome<T>): T {
  if ("commitThenFail" in outcome) throw outcome.commitThenFail;
  return outcome.commit;
}

export interface UnitOfWork {
  /**
   * Runs `work` in one transaction (never nested: pass `tx` down instead). Its outcome decides:
   * `commit(value)` answers the value, `commitThenFail(error)` commits and throws; a throw rolls back.
   * Nothing slow (argon2, HTTP, SMTP) belongs inside: do it before, and re-check in the work.
   */
  run<T>(work: (tx: Transaction) => Promise<Outcome<T>>): Promise<T>;
  /**
   * Runs reads outside any transaction, beside the writes: each statement sees the latest committed
   * state, and several statements are not one snapshot.
   */
  read<T>(work: (tx: Transaction) => Promise<T>): Promise<T>;
  /**
   * Runs `callback` once the current transaction has committed or rolled back (at once outside one):
   * caches forget what a transaction changed only once other readers can see the change.
   */
  afterTransaction(callback: () => void): void;
}
