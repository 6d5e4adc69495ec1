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

export class HashQueue {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly options: HashQueueOptions) {
    if (!(options.concurrency >= 1)) throw new Error("HashQueue: concurrency must be at least 1");
  }

  /** Computations running now and waiting (for tests and metrics). */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  /** Runs `job` when a slot is free (FIFO); throws `hashQueueFull()` without running it when the queue is full. */
  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running < this.options.concurrency) {
      this.running++;
    } else {
      if (this.waiting.length >= this.options.maxWaiting) throw hashQueueFull();
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
