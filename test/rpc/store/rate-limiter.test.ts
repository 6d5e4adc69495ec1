// Fixed-window rate limits in the database, on SQLite and on PostgreSQL.
import { afterAll, beforeAll, expect, it } from "vitest";
import { ManualClock } from "../../../src/clock.js";
import { openDatabase } from "../../../src/store/data-source.js";
import { DatabaseRateLimiter, storedKey } from "../../../src/store/repositories/rate-limits.js";
import { Store } from "../../../src/store/store.js";
import { forEachDatabase } from "../../helpers/databases.js";

const HOUR_START = Date.UTC(2030, 0, 1, 5);

forEachDatabase("rate limiter", (database) => {
  let store: Store;
  const clock = new ManualClock(HOUR_START);
  let limiter: DatabaseRateLimiter;

  beforeAll(async () => {
    store = new Store((await openDatabase(await database.url())).dataSource);
    expect(store.dialect).toBe(database.kind);
    limiter = new DatabaseRateLimiter(store, clock);
  });
  afterAll(async () => {
    await store?.close();
  });

  it("allows `limit` hits in a window and refuses the next, with the seconds to the window's end", async () => {
    clock.set(HOUR_START + 100_500);
    for (let i = 0; i < 3; i++)
      expect(await limiter.consume("ip:1", 3, 3600)).toEqual({ allowed: true, retryAfterSeconds: 0 });
    expect(await limiter.consume("ip:1", 3, 3600)).toEqual({ allowed: false, retryAfterSeconds: 3500 });
    clock.advanceSeconds(3000);
    expect(await limiter.consume("ip:1", 3, 3600)).toEqual({ allowed: false, retryAfterSeconds: 500 });
    // Another key has its own count.
    expect((await limiter.consume("ip:2", 3, 3600)).allowed).toBe(true);
  });

  it("starts counting afresh when the clock enters the next window", async () => {
    clock.set(HOUR_START + 3_599_000);
    expect((await limiter.consume("email:a", 1, 3600)).allowed).toBe(true);
    expect(await limiter.consume("email:a", 1, 3600)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    clock.advanceSeconds(1);
    expect((await limiter.consume("email:a", 1, 3600)).allowed).toBe(true);
    expect((await limiter.consume("email:a", 1, 3600)).allowed).toBe(false);
  });

  it("forgets a key on reset", async () => {
    clock.set(HOUR_START);
    await limiter.consume("login:x", 1, 60);
    expect((await limiter.consume("login:x", 1, 60)).allowed).toBe(false);
    await limiter.reset("login:x");
    expect((await limiter.consume("login:x", 1, 60)).allowed).toBe(true);
  });

  it("peeks without counting a hit", async () => {
    clock.set(HOUR_START + 10_000);
    expect(await limiter.peek("peek:1", 2, 60)).toEqual({ allowed: true, retryAfterSeconds: 0 });
    await limiter.consume("peek:1", 2, 60);
    for (let i = 0; i < 5; i++) expect((await limiter.peek("peek:1", 2, 60)).allowed).toBe(true);
    expect((await limiter.consume("peek:1", 2, 60)).allowed).toBe(true);
    expect(await limiter.peek("peek:1", 2, 60)).toEqual({ allowed: false, retryAfterSeconds: 50 });
    clock.advanceSeconds(50);
    expect((await limiter.peek("peek:1", 2, 60)).allowed).toBe(true);
  });

  it("allows exactly `limit` of 50 concurrent hits", async () => {
    clock.set(HOUR_START + 1234);
    const results = await Promise.all(Array.from({ length: 50 }, () => limiter.consume("burst", 10, 3600)));
    expect(results.filter((r) => r.allowed)).toHaveLength(10);
    expect(results.filter((r) => !r.allowed).every((r) => r.retryAfterSeconds === 3599)).toBe(true);
  });

  it("reserves before the work and refunds a hit whose work succeeded, within its window only", async () => {
    clock.set(HOUR_START + 5 * 3600_000);
    const first = await limiter.reserve("reserve:1", 2, 60);
    expect(first.allowed).toBe(true);
    await limiter.refund(first);
    for (let i = 0; i < 2; i++) expect((await limiter.reserve("reserve:1", 2, 60)).allowed).toBe(true);
    const over = await limiter.reserve("reserve:1", 2, 60);
    expect(over).toMatchObject({ allowed: false, retryAfterSeconds: 60 });
    // A refused reservation has nothing to give back.
    await limiter.refund(over);
    expect((await limiter.reserve("reserve:1", 2, 60)).allowed).toBe(false);
    // A refund from an ended window does not lower the next window's count.
    clock.advanceSeconds(60);
    const late = await limiter.reserve("reserve:2", 1, 60);
    clock.advanceSeconds(60);
    expect((await limiter.reserve("reserve:2", 1, 60)).allowed).toBe(true);
    await limiter.refund(late);
    expect((await limiter.reserve("reserve:2", 1, 60)).allowed).toBe(false);
  });

  it("allows exactly `limit` of 50 concurrent reservations", async () => {
    clock.set(HOUR_START + 6 * 3600_000);
    const results = await Promise.all(Array.from({ length: 50 }, () => limiter.reserve("rburst", 7, 3600)));
    expect(results.filter((r) => r.allowed)).toHaveLength(7);
  });

  it("bounds every stored key, however long the caller's key", async () => {
    clock.set(HOUR_START + 7 * 3600_000);
    const long = `email:${"a".repeat(10_000)}@example.com`;
    expect((await limiter.consume(long, 1, 60)).allowed).toBe(true);
    expect((await limiter.consume(long, 1, 60)).allowed).toBe(false);
    expect((await limiter.consume(`${long}x`, 1, 60)).allowed).toBe(true);
    expect(storedKey(long)).toMatch(/^email:[0-9a-f]{64}$/);
    expect(storedKey("x".repeat(1000)).length).toBeLessThanOrEqual(97);
  });

  it("purges the counters of ended windows", async () => {
    clock.set(HOUR_START + 10 * 3600_000);
    await limiter.consume("old", 5, 60);
    clock.advanceSeconds(60);
    await limiter.consume("fresh", 5, 60);
    const purged = await limiter.purgeExpired();
    expect(purged).toBeGreaterThanOrEqual(1);
    const keys = await store.transaction((em) => em.query(`SELECT "key" FROM rate_limits`));
    expect(keys.map((k: { key: string }) => k.key)).toEqual([storedKey("fresh")]);
  });
});
