// The domain's unit of work. A use case (one method of a feature service) runs its reads and writes
// in one transaction through the repositories the transaction gives it (persistence.ts declares
// them; src/store implements them). Handlers never open a transaction.
//
// A unit of work hands out only the repositories its feature declares (persistence.ts lists them per
// feature): `UnitOfWork<R>` gives `Transaction<R>` inside `run` and `Reads<R>` inside `read`. The two
// handles are told apart by their `kind`, so a helper that must write in its caller's transaction
// (it takes a `Transaction<...>`) cannot be handed a read handle; a helper that only reads takes the
// plain repositories and accepts either.
//
// "Record this failure, then fail": some failures must leave a trace that survives the failed
// request (a counted wrong code, a session revoked because its refresh token was reused). The work
// then answers `commitThenFail(error)`: the transaction commits, and the error is thrown after the
// commit. Throwing inside the work instead rolls everything back. This is the one idiom for it.
import type { DomainError } from "./errors.js";

/** The repositories of one transaction: what is written through them commits together, or not at all. */
export type Transaction<R> = R & { readonly kind: "transaction" };

/**
 * The repositories outside any transaction (`UnitOfWork.read`): each statement sees the latest
 * committed state, and several statements are not one snapshot.
 */
export type Reads<R> = R & { readonly kind: "reads" };

/** What a unit of work answers: a result to commit, or an error to throw once the writes committed. */
export type Outcome<T> = { commit: T } | { commitThenFail: DomainError };

export const commit = <T>(value: T): Outcome<T> => ({ commit: value });
export const commitThenFail = (error: DomainError): Outcome<never> => ({ commitThenFail: error });

/** The committed result, or the error to throw now that its transaction committed. */
export function settle<T>(outcome: Outcome<T>): T {
  if ("commitThenFail" in outcome) throw outcome.commitThenFail;
  return outcome.commit;
}

export interface UnitOfWork<R> {
  /**
   * Runs `work` in one transaction (never nested: pass `tx` down instead). Its outcome decides:
   * `commit(value)` answers the value, `commitThenFail(error)` commits and throws; a throw rolls back.
   * Nothing slow (argon2, HTTP, SMTP) belongs inside: do it before, and re-check in the work.
   */
  run<T>(work: (tx: Transaction<R>) => Promise<Outcome<T>>): Promise<T>;
  /**
   * Runs reads outside any transaction, beside the writes: each statement sees the latest committed
   * state, and several statements are not one snapshot.
   */
  read<T>(work: (reads: Reads<R>) => Promise<T>): Promise<T>;
  /**
   * Runs `callback` once the current transaction has committed or rolled back (at once outside one):
   * caches forget what a transaction changed only once other readers can see the change.
   */
  afterTransaction(callback: () => void): void;
}
