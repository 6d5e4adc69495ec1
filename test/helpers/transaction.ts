// Runs test setup in one transaction through the store's unit of work, as a use case would: the
// work gets the transaction's repositories (never an EntityManager), and a throw rolls it back.
import type { Repositories } from "../../src/domain/persistence.js";
import { commit, type Transaction } from "../../src/domain/unit-of-work.js";
import { StoreUnitOfWork } from "../../src/store/unit-of-work.js";
import type { TestDatabase } from "./kit.js";

export function inTransaction<T>(
  db: Pick<TestDatabase, "store">,
  work: (tx: Transaction<Repositories>) => Promise<T>,
): Promise<T> {
  return new StoreUnitOfWork(db.store).run(async (tx) => commit(await work(tx)));
}
