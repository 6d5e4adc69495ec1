// How many argon2 computations run at once. argon2 runs on libuv's thread pool, which it shares with
// the sqlite3 driver and async fs/crypto: with more hashes in flight than cores, the extra ones only
// queue on the pool (taking threads a sign-in's short database calls need) and each holds its 19 MiB
// of memory meanwhile. Here the excess waits in a JS queue instead, first come first served, and the
// queue is bounded: when it is full the request is answered `unavailable` (retryable, "the server is
// busy") at once rather than letting waiters and their memory grow without limit.
import { DomainError } from "./errors.js";

export interface HashQueueOptions {
  /** Computations at once (the number of cores by default: each one keeps a core busy). */
  concurrency: number;
  /** Computations waiting for a slot; one more is refused. */
  maxWaiting: number;
}

/** Thrown when the queue is full: the server is busy, the client may retry (Connect `Unavailable`). */
export const hashQueueFull = () =>
  new DomainError("unavailable", "the server is busy checking other passwords; try again shortly");

/** Something that runs argon2 jobs: the queue itself, or one request's admission to it. */
export interface HashRunner {
  run<T>(job: () => Promise<T>): Promise<T>;
}

/**
 * A place in the queue held for one request (a sign-in) before it counts anything: its hashing
 * is never refused afterwards, so a busy server cannot turn a counted attempt into a lost one.
 */
export interface HashAdmission extends HashRunner {
  /** Gives the held place back if it was not used (call it in a `finally`). */
  release(): void;
}

export class HashQueue implements HashRunner {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  /** Places held by admissions that have not started their first job yet. */
  private held = 0;

  constructor(readonly options: HashQueueOptions) {
    if (!(options.concurrency >= 1)) throw new Error("HashQueue: concurrency must be at least 1");
  }

  /** Computations running now and waiting (for tests and metrics). */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  /** Runs `job` when a slot is free (FIFO); throws `hashQueueFull()` without running it when the queue is full. */
  async run<T>(job: () => Promise<T>): Promise<T> {
    this.refuseWhenFull();
    return this.runAdmitted(job);
  }

  /** Holds a place now (or throws `hashQueueFull()`); the admission's jobs are then never refused. */
  admit(): HashAdmission {
    this.refuseWhenFull();
    this.held++;
    let holding = true;
    const release = () => {
      if (holding) this.held--;
      holding = false;
    };
    return {
      run: (job) => {
        release();
        return this.runAdmitted(job);
      },
      release,
    };
  }

  private refuseWhenFull(): void {
    const busy = this.running + this.waiting.length + this.held;
    if (busy >= this.options.concurrency + this.options.maxWaiting) throw hashQueueFull();
  }

  private async runAdmitted<T>(job: () => Promise<T>): Promise<T> {
    if (this.running < this.options.concurrency) {
      this.running++;
    } else {
      // The finishing job hands its slot over (see below), so `running` already counts this one.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    try {
      return await job();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
