// Work done after the reply is recorded before it: a process that dies after answering leaves the
// row, and the next process to start does the work. A failure is retried, and logged without the
// error's properties (a database error carries its parameters).
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AfterReply } from "../../../src/domain/after-reply.js";
import { DeferredWorkEntity } from "../../../src/store/entities/deferred-work.js";
import { UserEntity } from "../../../src/store/entities/user.js";
import { StoreUnitOfWork } from "../../../src/store/unit-of-work.js";
import { type AccountsHarness, startAccountsHarness } from "../../helpers/accounts.js";
import { createTestDatabase } from "../../helpers/postgres.js";

const SECRET = "after-reply-test-secret-of-at-least-32-characters";

describe("work after the reply", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let first: AccountsHarness;

  beforeAll(async () => {
    db = await createTestDatabase();
    first = await startAccountsHarness({ AUTHD_DATABASE_URL: db.url, AUTHD_SECRET: SECRET });
  });
  afterAll(async () => {
    await first?.close();
    await db?.drop();
  });

  it("is done by the next process when the one that answered died first", async () => {
    // What a process killed right after answering Register leaves behind: the recorded work only.
    const store = first.server.db;
    const passwordHash = await first.server.internals.hasher.hash("a fine long passphrase");
    const work = {
      email: "orphaned@example.com",
      username: null,
      profile: { firstName: "", lastName: "", mobile: "", language: "", timezone: "" },
      passwordHash,
      now: first.server.clock.now(),
      client: { ip: "203.0.113.7", userAgent: "test" },
    };
    await store.transaction((em) =>
      em.insert(DeferredWorkEntity, {
        id: randomUUID(),
        kind: "register",
        payload: JSON.stringify(work),
        createdAt: work.now,
      }),
    );
    const second = await startAccountsHarness({ AUTHD_DATABASE_URL: db.url, AUTHD_SECRET: SECRET });
    try {
      await second.mailTo("orphaned@example.com", /verify/i);
      const user = await store.transaction((em) =>
        em.findOneBy(UserEntity, { email: "orphaned@example.com" }),
      );
      expect(user?.passwordHash).toBe(passwordHash);
      expect(await store.transaction((em) => em.count(DeferredWorkEntity))).toBe(0);
    } finally {
      await second.close();
    }
  });

  it("keeps failed work for the next sweep, and logs a failure by name and message only", async () => {
    const logged: unknown[] = [];
    const app = first.server.app;
    const after = new AfterReply({
      uow: new StoreUnitOfWork(first.server.db.store),
      clock: app.clock,
      logger: { error: ((entry: unknown) => logged.push(entry)) as never },
    });
    let attempts = 0;
    after.handle("flaky", async () => {
      attempts++;
      if (attempts <= 2)
        throw Object.assign(new Error("duplicate key value violates unique constraint"), {
          parameters: ["victim@example.com", "$argon2id$v=19$secret-hash"],
        });
    });
    await after.defer("flaky", {});
    await after.settled();
    expect(attempts).toBe(2);
    expect(logged).toEqual([
      { task: "flaky", error: "Error: duplicate key value violates unique constraint" },
    ]);
    expect(JSON.stringify(logged)).not.toMatch(/argon2|victim/);
    expect(await first.server.db.transaction((em) => em.countBy(DeferredWorkEntity, { kind: "flaky" }))).toBe(
      1,
    );
    await after.sweep();
    await after.settled();
    expect(attempts).toBe(3);
    expect(await first.server.db.transaction((em) => em.countBy(DeferredWorkEntity, { kind: "flaky" }))).toBe(
      0,
    );
  });
});
