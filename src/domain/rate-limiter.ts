// Fixed-window rate limits kept in the database, so every replica counts against the same numbers.
// One INSERT ... ON CONFLICT DO UPDATE both creates and bumps a counter: there is no read followed
// by a write that two requests could interleave, on SQLite or on PostgreSQL.
import type { Clock } from "../clock.js";
import { queryReturning } from "../store/returning.js";
import type { Store } from "../store/store.js";
import type { RateLimiter, RateLimitResult } from "./ports.js";

export class DatabaseRateLimiter implements RateLimiter {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /**
   * Counts one hit and answers whether it is within `limit` for the current window. Runs its own
   * transaction: call it before (not inside) `store.transaction`, or SQLite's queue would wait on
   * itself.
   */
  async consume(key: string, limit: number, windowSeconds: number): Promise<RateLimitResult> {
    const windowMs = windowSeconds * 1000;
    const now = this.clock.now();
    const windowStart = Math.floor(now / windowMs) * windowMs;
    const p = (n: number) => this.store.param(n);
    // A replica whose clock lags may compute an older window: it then counts in the newer one
    // instead of resetting it.
    const sql = `INSERT INTO rate_limits ("key", window_start, "count", expires_at)
      VALUES (${p(1)}, ${p(2)}, 1, ${p(3)})
      ON CONFLICT ("key") DO UPDATE SET
        "count" = CASE WHEN rate_limits.window_start >= excluded.window_start
          THEN rate_limits."count" + 1 ELSE 1 END,
        window_start = CASE WHEN rate_limits.window_start >= excluded.window_start
          THEN rate_limits.window_start ELSE excluded.window_start END,
        expires_at = CASE WHEN rate_limits.expires_at >= excluded.expires_at
          THEN rate_limits.expires_at ELSE excluded.expires_at END
      RETURNING "count", window_start`;
    const [row] = await this.store.transaction((em) =>
      queryReturning<{ count: number | string; window_start: number | string }>(em, sql, [
        key,
        windowStart,
        windowStart + windowMs,
      ]),
    );
    if (!row) throw new Error("rate limit upsert answered no row");
    if (Number(row.count) <= limit) return { allowed: true, retryAfterSeconds: 0 };
    return this.refusal(Number(row.window_start) + windowMs, now);
  }

  private refusal(windowEnd: number, now: number): RateLimitResult {
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((windowEnd - now) / 1000)) };
  }

  /** Answers whether `key` is already at `limit` in the current window, without counting a hit. */
  async peek(key: string, limit: number, windowSeconds: number): Promise<RateLimitResult> {
    const windowMs = windowSeconds * 1000;
    const now = this.clock.now();
    const windowStart = Math.floor(now / windowMs) * windowMs;
    const [row] = await this.store.transaction(
      (em) =>
        em.query(`SELECT "count", window_start FROM rate_limits WHERE "key" = ${this.store.param(1)}`, [
          key,
        ]) as Promise<Array<{ count: number | string; window_start: number | string }>>,
    );
    if (!row || Number(row.window_start) < windowStart || Number(row.count) < limit) {
      return { allowed: true, retryAfterSeconds: 0 };
    }
    return this.refusal(Number(row.window_start) + windowMs, now);
  }

  async reset(key: string): Promise<void> {
    await this.store.transaction((em) =>
      em.query(`DELETE FROM rate_limits WHERE "key" = ${this.store.param(1)}`, [key]),
    );
  }

  /** Deletes the counters of windows that have ended; answers how many. */
  async purgeExpired(): Promise<number> {
    const rows = await this.store.transaction((em) =>
      queryReturning<{ key: string }>(
        em,
        `DELETE FROM rate_limits WHERE expires_at <= ${this.store.param(1)} RETURNING "key"`,
        [this.clock.now()],
      ),
    );
    return rows.length;
  }
}
