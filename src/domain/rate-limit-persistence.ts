// The shared counters behind the database rate limiter (store/repositories/rate-limits.ts), so a
// reservation can be counted or refunded inside the transaction of the work it guards.

export interface RateLimitCounterRepository {
  /**
   * Counts one hit against `key` in the window starting at `windowStart` (a newer stored window
   * wins over an older one) in one statement; answers the count and the window it landed in.
   */
  bump(key: string, windowStart: number, windowEnd: number): Promise<{ count: number; windowStart: number }>;
  /** Takes back one hit of `key` in `windowStart`'s window; a no-op once that window has ended. */
  giveBack(key: string, windowStart: number): Promise<void>;
}
