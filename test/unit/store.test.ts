import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_TENANT_ID } from "../../src/domain/tenants/records.js";
import { openDatabase, openReaders } from "../../src/store/data-source.js";
import { UserEntity } from "../../src/store/entities/user.js";
import { findOneStrict, UnsafeQueryError } from "../../src/store/guard.js";
import { NestedTransactionError, Store } from "../../src/store/store.js";

let dir: string;
let store: Store;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "authd-store-"));
  const url = `sqlite:${path.join(dir, "authd.db")}`;
  const { dataSource } = await openDatabase(url);
  store = new Store(dataSource, await openReaders(url));
  await store.transaction((em) =>
    em.insert(UserEntity, {
      id: "00000000-0000-4000-8000-000000000001",
      email: "someone@example.com",
      tenantId: DEFAULT_TENANT_ID,
      settings: {},
      roles: [],
      passwordHash: "x",
      createdAt: 1,
      updatedAt: 1,
    }),
  );
});
afterAll(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("the SQLite store", () => {
  it("runs in WAL mode with foreign keys on", async () => {
    const [journal] = await store.transaction((em) => em.query("PRAGMA journal_mode"));
    const [fk] = await store.transaction((em) => em.query("PRAGMA foreign_keys"));
    expect(journal.journal_mode).toBe("wal");
    expect(fk.foreign_keys).toBe(1);
  });

  it("refuses a lookup whose value is undefined instead of matching any row", async () => {
    const lookup = store.transaction((em) =>
      findOneStrict(em, UserEntity, { email: undefined as unknown as string }),
    );
    await expect(lookup).rejects.toBeInstanceOf(UnsafeQueryError);
  });

  it("still finds a row by a defined value", async () => {
    const user = await store.transaction((em) =>
      findOneStrict(em, UserEntity, { email: "someone@example.com" }),
    );
    expect(user?.id).toBe("00000000-0000-4000-8000-000000000001");
  });

  it("rolls a failed transaction back whole", async () => {
    const failing = store.transaction(async (em) => {
      await em.update(UserEntity, { id: "00000000-0000-4000-8000-000000000001" }, { firstName: "Changed" });
      throw new Error("boom");
    });
    await expect(failing).rejects.toThrow("boom");
    const user = await store.transaction((em) =>
      findOneStrict(em, UserEntity, { email: "someone@example.com" }),
    );
    expect(user?.firstName).toBe("");
  });

  it("refuses a transaction opened inside another instead of waiting for it forever", async () => {
    const nested = store.transaction(() => store.transaction((em) => em.query("SELECT 1")));
    await expect(nested).rejects.toBeInstanceOf(NestedTransactionError);
    expect(await store.transaction((em) => em.query("SELECT 1 AS one"))).toEqual([{ one: 1 }]);
  });

  it("keeps overlapping transactions apart", async () => {
    const id = "00000000-0000-4000-8000-000000000001";
    const slow = store.transaction(async (em) => {
      await em.update(UserEntity, { id }, { lastName: "Slow" });
      await new Promise((resolve) => setTimeout(resolve, 20));
      throw new Error("rolled back");
    });
    const fast = store.transaction((em) => em.update(UserEntity, { id }, { language: "fr" }));
    await expect(slow).rejects.toThrow();
    await fast;
    const user = await store.transaction((em) => findOneStrict(em, UserEntity, { id }));
    expect(user?.lastName).toBe("");
    expect(user?.language).toBe("fr");
  });

  it("commits with synchronous=NORMAL: an answered write survives a killed process under WAL", async () => {
    const [sync] = await store.transaction((em) => em.query("PRAGMA synchronous"));
    expect(sync.synchronous).toBe(1);
  });

  it("answers a read while a transaction holds the writer, and shows only committed rows", async () => {
    const id = "00000000-0000-4000-8000-000000000001";
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let written: () => void = () => undefined;
    const wrote = new Promise<void>((resolve) => {
      written = resolve;
    });
    const writer = store.transaction(async (em) => {
      await em.update(UserEntity, { id }, { firstName: "Uncommitted" });
      written();
      await held;
    });
    await wrote;
    // The writer is still open: a queued read would wait for `release` and this would time out.
    const during = await store.read((em) => findOneStrict(em, UserEntity, { id }));
    expect(during?.firstName).toBe("");
    release();
    await writer;
    const after = await store.read((em) => findOneStrict(em, UserEntity, { id }));
    expect(after?.firstName).toBe("Uncommitted");
  });

  it("refuses a write on the read path", async () => {
    const write = store.read((em) =>
      em.update(UserEntity, { id: "00000000-0000-4000-8000-000000000001" }, { lastName: "Nope" }),
    );
    await expect(write).rejects.toThrow(/readonly|read-only/i);
  });

  it("runs a callback after the transaction settles, not before", async () => {
    const order: string[] = [];
    await store.transaction(async (em) => {
      store.afterTransaction(() => order.push("after"));
      await em.query("SELECT 1");
      order.push("inside");
    });
    expect(order).toEqual(["inside", "after"]);
  });
});
