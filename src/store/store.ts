// The single door to the database. All work, reads included, runs inside `transaction`, so every
// write is atomic. With SQLite, TypeORM shares one connection between all callers: two overlapping
// transactions would interleave their statements, so they are queued here. PostgreSQL gives each
// transaction its own pooled connection and needs no queue.
import type { DataSource, EntityManager } from "typeorm";

export type Dialect = "sqlite" | "postgres";

export class Store {
  private queue: Promise<unknown> = Promise.resolve();
  readonly dialect: Dialect;

  constructor(readonly dataSource: DataSource) {
    this.dialect = dataSource.options.type === "postgres" ? "postgres" : "sqlite";
  }

  transaction<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    if (this.dialect === "postgres") return this.dataSource.transaction(work);
    const run = this.queue.then(() => this.dataSource.transaction(work));
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
