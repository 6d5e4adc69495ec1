// The single door to the database. All work, reads included, runs inside `transaction`, so every
// write is atomic. With SQLite, TypeORM shares one connection between all callers: two overlapping
// transactions would interleave their statements, so they are queued here. PostgreSQL gives each
// transaction its own pooled connection and needs no queue.
import { AsyncLocalStorage } from "node:async_hooks";
import type { DataSource, EntityManager } from "typeorm";

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

export class Store {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly current = new AsyncLocalStorage<{ open: boolean }>();
  readonly dialect: Dialect;

  constructor(readonly dataSource: DataSource) {
    this.dialect = dataSource.options.type === "postgres" ? "postgres" : "sqlite";
  }

  transaction<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    if (this.current.getStore()?.open) return Promise.reject(new NestedTransactionError());
    const marked = (em: EntityManager) => {
      const scope = { open: true };
      return this.current
        .run(scope, () => work(em))
        .finally(() => {
          scope.open = false;
        });
    };
    if (this.dialect === "postgres") return this.dataSource.transaction(marked);
    const run = this.queue.then(() => this.dataSource.transaction(marked));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Placeholder for the n-th (1-based) parameter of a raw query in this dialect. */
  param(n: number): string {
    return this.dialect === "postgres" ? `$${n}` : "?";
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
