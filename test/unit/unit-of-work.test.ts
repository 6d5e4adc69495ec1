// The store's units of work, without a server: a feature's unit of work hands out only the
// repositories it lists, and tells a transaction from a read handle at run time too.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commit } from "../../src/domain/unit-of-work.js";
import { openDatabase, openReaders } from "../../src/store/data-source.js";
import { Store } from "../../src/store/store.js";
import { StoreUnitOfWork } from "../../src/store/unit-of-work.js";

let dir: string;
let store: Store;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "authd-uow-"));
  const url = `sqlite:${path.join(dir, "authd.db")}`;
  const { dataSource } = await openDatabase(url);
  store = new Store(dataSource, await openReaders(url));
});
afterAll(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("a scoped unit of work", () => {
  it("hands out only the repositories its feature lists", async () => {
    const uow = new StoreUnitOfWork(store).scoped(["tenants", "audit"]);
    const names = await uow.run(async (tx) => commit(Object.keys(tx).sort()));
    expect(names).toEqual(["audit", "kind", "tenants"]);
    await uow.run(async (tx) => {
      // @ts-expect-error: not listed, so not there (the type says so, and so does the handle).
      expect(tx.accounts).toBeUndefined();
      expect(typeof tx.tenants.findById).toBe("function");
      return commit(undefined);
    });
  });

  it("marks a transaction and a read handle apart", async () => {
    const uow = new StoreUnitOfWork(store).scoped(["tenants"]);
    expect(await uow.run(async (tx) => commit(tx.kind))).toBe("transaction");
    expect(await uow.read(async (reads) => reads.kind)).toBe("reads");
  });

  it("builds a repository once per handle, on first use", async () => {
    const uow = new StoreUnitOfWork(store).scoped(["tenants"]);
    const [once, again] = await uow.read(async (reads) => [reads.tenants, reads.tenants]);
    expect(once).toBe(again);
    const first = await uow.read(async (reads) => reads.tenants);
    const second = await uow.read(async (reads) => reads.tenants);
    expect(first).not.toBe(second);
  });

  it("reads through the handle as the whole unit of work does", async () => {
    const scoped = new StoreUnitOfWork(store).scoped(["tenants"]);
    const whole = new StoreUnitOfWork(store);
    const slug = await scoped.read((reads) => reads.tenants.findBySlug("default"));
    expect(slug?.id).toBeDefined();
    expect((await whole.read((reads) => reads.tenants.findBySlug("default")))?.id).toBe(slug?.id);
  });
});
