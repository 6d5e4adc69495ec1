// The single door to the database. Writes run inside `transaction`, so every write is atomic; reads
// that need no transaction run through `read`, beside the writes.
//
// SQLite: TypeORM shares one connection between all callers, so two overlapping transactions would
// interleave their statements: transactions are queued here. Reads do not wait in that queue: they
// run on a small pool of separate read-only connections (WAL lets readers proceed while one writer
// commits), one statement at a time, without BEGIN/COMMIT. PostgreSQL gives each transaction and
// each read its own pooled connection and needs no queue.
//
// PostgreSQL may abort a transaction to let a concurrent one go on: a deadlock (40P01; the lock
// order of TenantUserRepository.lock is there so that none happens) or a serialization failure
// (40001). Nothing of it was kept, so the whole work runs again, a bounded number of times: the
// work is a function of its transaction (every write goes through it; what it does in memory, such
// as a cache forgetting a session, may be done twice). Past the bound the answer is `unavailable`,
// which a client may retry, never an internal error.
import { AsyncLocalStorage } from "node:async_hooks";
import type { DataSource, EntityManager } from "typeorm";
import { unavailable } from "../domain/errors.js";

/**
 * Thrown when code inside a transaction opens another one. On SQLite the inner transaction would
 * wait for the outer forever (the queue); on PostgreSQL it would escape the outer's atomicity.
 * Pass the EntityManager down instead.
 */
export class NestedTransactionError extends Error {
  constructor() {
    super("Store.transaction called inside a transaction: pass the EntityManager down instead");
    this.name = "NestedTransactionError";
  }
}

export type Dialect = "sqlite" | "postgres";

/** How many times a transaction PostgreSQL aborted for a concurrent one is run in all. */
export const TRANSACTION_ATTEMPTS = 3;

/** deadlock_detected, serialization_failure: the transaction was rolled back for another's sake. */
const CONFLICTS = new Set(["40P01", "40001"]);

function isConflict(error: unknown): boolean {
  const e = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = e?.driverError?.code ?? e?.code;
  return typeof code === "string" && CONFLICTS.has(code);
}

interface Scope {
  open: boolean;
  /** Run once the transaction has committed or rolled back. */
  settled: Array<() => void>;
}

interface Reader {
  dataSource: DataSource;
  inFlight: number;
}

export class Store {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly current = new AsyncLocalStorage<Scope>();
  private readonly readers: Reader[];
  readonly dialect: Dialect;
  /** How many transactions PostgreSQL aborted for a concurrent one (each run again, or answered unavailable). */
  conflicts = 0;

  /** `readers`: extra read-only SQLite connections to the same file (none: reads use the queue). */
  constructor(
    readonly dataSource: DataSource,
    readers: DataSource[] = [],
  ) {
    this.dialect = dataSource.options.type === "postgres" ? "postgres" : "sqlite";
    this.readers = readers.map((r) => ({ dataSource: r, inFlight: 0 }));
  }

  transaction<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    if (this.current.getStore()?.open) return Promise.reject(new NestedTransactionError());
    return this.dialect === "postgres" ? this.retried(work) : this.once(work);
  }

  /** The work in one PostgreSQL transaction, run again while PostgreSQL aborts it for another's sake. */
  private async retried<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(work);
      } catch (error) {
        if (!isConflict(error)) throw error;
        this.conflicts++;
        if (attempt >= TRANSACTION_ATTEMPTS)
          throw unavailable("this request kept meeting concurrent changes of the same data: try again");
      }
    }
  }

  private once<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    const scope: Scope = { open: true, settled: [] };
    const marked = (em: EntityManager) =>
      this.current
        .run(scope, () => work(em))
        .finally(() => {
          scope.open = false;
        });
    const settle = () => {
      for (const callback of scope.settled) callback();
    };
    const run =
      this.dialect === "postgres"
        ? this.dataSource.transaction(marked)
        : this.queue.then(() => this.dataSource.transaction(marked));
    if (this.dialect === "sqlite") this.queue = run.catch(() => undefined);
    return run.finally(settle);
  }

  /**
   * Runs reads outside any transaction: each statement sees the latest committed state, and several
   * statements are not one snapshot. Never sees the uncommitted writes of a transaction in progress,
   * including the caller's own: inside a transaction, use its EntityManager.
   */
  read<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    if (this.dialect === "postgres") return work(this.dataSource.manager);
    if (this.readers.length === 0) return this.transaction(work);
    let reader = this.readers[0] as Reader;
    for (const r of this.readers) if (r.inFlight < reader.inFlight) reader = r;
    reader.inFlight++;
    return work(reader.dataSource.manager).finally(() => {
      reader.inFlight--;
    });
  }

  /**
   * Runs `callback` once the current transaction has committed or rolled back (at once outside a
   * transaction). Caches use it to forget what a transaction changed only after other readers can
   * see the change: forgetting earlier would let a concurrent read cache the old state again.
   */
  afterTransaction(callback: () => void): void {
    const scope = this.current.getStore();
    if (scope?.open) scope.settled.push(callback);
    else callback();
  }

  /** One trivial transaction (the health probe): throws when the database cannot be reached. */
  async probe(): Promise<void> {
    await this.transaction((em) => em.query("SELECT 1"));
  }

  /** Placeholder for the n-th (1-based) parameter of a raw query in this dialect. */
  param(n: number): string {
    return this.dialect === "postgres" ? `$${n}` : "?";
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    for (const reader of this.readers) {
      if (reader.dataSource.isInitialized) await reader.dataSource.destroy();
    }
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
