// The hashing queue on its own, with fake argon2 jobs the test finishes by hand: how many run at
// once, in which order the rest run, and what a full queue answers. Counting, never timing.
import { describe, expect, it } from "vitest";
import { DomainError } from "../../src/domain/errors.js";
import { HashQueue } from "../../src/domain/hash-queue.js";
import { PasswordHasher } from "../../src/domain/passwords.js";

/** A fake argon2 job: records that it runs, and finishes when the test says so. */
function fakeJobs() {
  let running = 0;
  let mostAtOnce = 0;
  const started: string[] = [];
  const finishers = new Map<string, () => void>();
  const job = (name: string) => () =>
    new Promise<string>((resolve) => {
      running++;
      mostAtOnce = Math.max(mostAtOnce, running);
      started.push(name);
      finishers.set(name, () => {
        running--;
        resolve(name);
      });
    });
  const finish = async (name: string) => {
    finishers.get(name)?.();
    // Let the queue hand the slot over before the test looks again.
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { job, finish, started, mostAtOnce: () => mostAtOnce };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("the hashing queue", () => {
  it("runs at most `concurrency` argon2 jobs at once, however many are asked for", async () => {
    const queue = new HashQueue({ concurrency: 3, maxWaiting: 100 });
    const fake = fakeJobs();
    const names = Array.from({ length: 20 }, (_, i) => `job${i}`);
    const done = Promise.all(names.map((name) => queue.run(fake.job(name))));
    await settle();
    expect(fake.started).toHaveLength(3);
    for (const name of names) await fake.finish(name);
    expect(await done).toEqual(names);
    expect(fake.mostAtOnce()).toBe(3);
    expect(queue.load).toEqual({ running: 0, waiting: 0 });
  });

  it("runs waiting jobs first come first served: a flood that arrives later never overtakes another user's check", async () => {
    const queue = new HashQueue({ concurrency: 1, maxWaiting: 100 });
    const fake = fakeJobs();
    const flood = (n: number, from: number) =>
      Array.from({ length: n }, (_, i) => queue.run(fake.job(`flood${from + i}`)));
    const early = flood(5, 0);
    const other = queue.run(fake.job("other user"));
    const late = flood(20, 5);
    await settle();
    // The other user's check starts after exactly the five that were there first.
    for (let i = 0; i < 5; i++) await fake.finish(`flood${i}`);
    expect(fake.started.at(-1)).toBe("other user");
    await fake.finish("other user");
    expect(await other).toBe("other user");
    for (let i = 5; i < 25; i++) await fake.finish(`flood${i}`);
    await Promise.all([...early, ...late]);
    expect(fake.started.indexOf("other user")).toBe(5);
  });

  it("refuses a job at once with Unavailable when the queue is full, and takes one again when a place frees", async () => {
    const queue = new HashQueue({ concurrency: 2, maxWaiting: 3 });
    const fake = fakeJobs();
    const accepted = ["a", "b", "c", "d", "e"].map((name) => queue.run(fake.job(name)));
    const refused = queue.run(fake.job("f"));
    await expect(refused).rejects.toMatchObject({ kind: "unavailable" });
    await expect(refused).rejects.toBeInstanceOf(DomainError);
    expect(fake.started).not.toContain("f");
    await fake.finish("a");
    const again = queue.run(fake.job("g"));
    for (const name of ["b", "c", "d", "e", "g"]) await fake.finish(name);
    expect(await Promise.all([...accepted, again])).toEqual(["a", "b", "c", "d", "e", "g"]);
  });

  it("an admission holds its place: once admitted, a request's hashing is never refused, even by a full queue", async () => {
    const queue = new HashQueue({ concurrency: 1, maxWaiting: 1 });
    const fake = fakeJobs();
    const running = queue.run(fake.job("running"));
    const admission = queue.admit(); // the one waiting place, held before any job
    expect(() => queue.admit()).toThrow(/busy/);
    await expect(queue.run(fake.job("refused"))).rejects.toMatchObject({ kind: "unavailable" });
    const first = admission.run(fake.job("admitted 1"));
    // A second job of the same request (a paced verification's dummy) is not refused either.
    const second = admission.run(fake.job("admitted 2"));
    for (const name of ["running", "admitted 1", "admitted 2"]) await fake.finish(name);
    expect(await Promise.all([running, first, second])).toEqual(["running", "admitted 1", "admitted 2"]);
    admission.release();
    expect(queue.load).toEqual({ running: 0, waiting: 0 });
  });

  it("an admission released unused gives its place back", () => {
    const queue = new HashQueue({ concurrency: 1, maxWaiting: 0 });
    const admission = queue.admit();
    expect(() => queue.admit()).toThrow(/busy/);
    admission.release();
    admission.release(); // twice is harmless
    queue.admit().release();
  });
});

describe("PasswordHasher through the queue", () => {
  const costs = { memoryKib: 1024, iterations: 1, parallelism: 1 };

  it("a full queue answers busy (Unavailable), never a wrong password", async () => {
    const queue = new HashQueue({ concurrency: 1, maxWaiting: 0 });
    const hasher = new PasswordHasher(costs, queue);
    const hash = await hasher.hash("correct horse battery staple");
    const held = queue.admit(); // the only place, taken by another request
    await expect(hasher.verify(hash, "correct horse battery staple")).rejects.toMatchObject({
      kind: "unavailable",
    });
    await expect(hasher.verifyDummy("anything")).rejects.toMatchObject({ kind: "unavailable" });
    held.release();
    expect(await hasher.verify(hash, "correct horse battery staple")).toBe(true);
    // The dummy refused above was not remembered as a failure.
    expect(await hasher.verifyDummy("anything")).toBe(false);
  });

  it("with concurrency N, at most N real argon2 verifications run at once", async () => {
    const queue = new HashQueue({ concurrency: 2, maxWaiting: 100 });
    const hasher = new PasswordHasher(costs, queue);
    const hash = await hasher.hash("correct horse battery staple");
    let most = 0;
    const watch = setInterval(() => {
      most = Math.max(most, queue.load.running);
    }, 0);
    const results = await Promise.all(
      Array.from({ length: 12 }, () => hasher.verify(hash, "correct horse battery staple")),
    );
    clearInterval(watch);
    expect(results.every(Boolean)).toBe(true);
    expect(most).toBeLessThanOrEqual(2);
  });
});
