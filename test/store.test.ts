import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../src/store/data-source.js";
import { UserEntity } from "../src/store/entities/user.js";
import { findOneStrict, UnsafeQueryError } from "../src/store/guard.js";
import { NestedTransactionError, Store } from "../src/store/store.js";

let dir: string;
let store: Store;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "authd-store-"));
  const { dataSource } = await openDatabase(`sqlite:${path.join(dir, "authd.db")}`);
  store = new Store(dataSource);
  await store.transaction((em) =>
    em.insert(UserEntity, {
      id: "00000000-0000-4000-8000-000000000001",
      email: "someone@example.com",
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
});
