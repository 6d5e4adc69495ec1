// What a test reaches besides the RPCs, built on the app's internals (assembleApp): `db` to seed the
// database and to assert on it (raw entity or SQL work, never through a feature), `mail` to deliver
// what the outbox holds now or to queue a message directly. The App itself exposes only what the
// server needs.
import type { EntityManager } from "typeorm";
import type { Outbox } from "../../src/delivery/outbox.js";
import type { Dialect, Store } from "../../src/store/store.js";

export interface TestDatabase {
  dialect: Dialect;
  /** Raw work in one transaction (seeding, or reading what a request left). */
  transaction<T>(work: (em: EntityManager) => Promise<T>): Promise<T>;
  /** Raw reads outside a transaction, as the app's own reads run. */
  read<T>(work: (em: EntityManager) => Promise<T>): Promise<T>;
  /** The placeholder of the n-th (1-based) parameter of a raw query in this dialect. */
  param(n: number): string;
  /** The store itself, for the tests of the store and of the parts built on it. */
  store: Store;
}

/** The outbox as tests use it: deliver what is due now, queue a message, stop or start the worker. */
export type TestMail = Pick<Outbox, "flush" | "enqueue" | "enqueueEmail" | "start" | "stop" | "purgeSent">;

export function testDatabase(store: Store): TestDatabase {
  return {
    dialect: store.dialect,
    transaction: (work) => store.transaction(work),
    read: (work) => store.read(work),
    param: (n) => store.param(n),
    store,
  };
}
