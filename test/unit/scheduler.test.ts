// The one scheduler, with fake timers and no server: each job on its interval, never overlapping
// itself, a failure logged by the job's name without stopping it, and nothing running after stop.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Scheduler } from "../../src/wiring/scheduler.js";

/** A promise a test resolves by hand. */
function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe("the scheduler", () => {
  const logged: Array<{ fields: object; message: string }> = [];
  const logger = { warn: (fields: object, message: string) => logged.push({ fields, message }) };
  beforeEach(() => {
    vi.useFakeTimers();
    logged.length = 0;
  });
  afterEach(() => vi.useRealTimers());

  it("runs each job on its own interval, and at start when it asks to", async () => {
    const scheduler = new Scheduler(logger);
    const runs: string[] = [];
    scheduler.start([
      { name: "often", everyMs: 1_000, run: async () => runs.push("often") },
      { name: "rarely", everyMs: 5_000, atStart: true, run: async () => runs.push("rarely") },
    ]);
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toEqual(["rarely"]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(runs.filter((r) => r === "often")).toHaveLength(5);
    expect(runs.filter((r) => r === "rarely")).toHaveLength(2);
    await scheduler.stop();
  });

  it("never starts a job again while its last run is still going", async () => {
    const scheduler = new Scheduler(logger);
    const slow = gate();
    let started = 0;
    scheduler.start([
      {
        name: "slow",
        everyMs: 1_000,
        run: async () => {
          started++;
          await slow.opened;
        },
      },
    ]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(started).toBe(1);
    slow.open();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(started).toBe(2);
    await scheduler.stop();
  });

  it("logs a failed run with the job's name and runs the job again at its next tick", async () => {
    const scheduler = new Scheduler(logger);
    let attempts = 0;
    scheduler.start([
      {
        name: "outbox purge",
        everyMs: 1_000,
        run: async () => {
          attempts++;
          if (attempts === 1) throw new Error("database is locked");
        },
      },
    ]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(attempts).toBe(2);
    expect(logged).toHaveLength(1);
    expect(logged[0]?.message).toBe("periodic job failed");
    expect(logged[0]?.fields).toMatchObject({ job: "outbox purge", err: { message: "database is locked" } });
    await scheduler.stop();
  });

  it("stops every job at close, after waiting for the runs in progress", async () => {
    const scheduler = new Scheduler(logger);
    const slow = gate();
    let finished = false;
    let runs = 0;
    scheduler.start([
      {
        name: "slow",
        everyMs: 1_000,
        atStart: true,
        run: async () => {
          runs++;
          await slow.opened;
          finished = true;
        },
      },
    ]);
    await vi.advanceTimersByTimeAsync(0);
    let stopped = false;
    const stopping = scheduler.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(stopped).toBe(false);
    slow.open();
    await stopping;
    expect(finished).toBe(true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runs).toBe(1);
  });
});
