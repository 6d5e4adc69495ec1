// Fixed-window rate limits kept in the database, so every replica counts against the same numbers.
// One INSERT ... ON CONFLICT DO UPDATE both creates and bumps a counter: there is no read followed
// by a write that two requests could interleave, on SQLite or on PostgreSQL.
//
// Keys are stored hashed (a short readable prefix and a SHA-256), so no client value — an email,
// an address — can outgrow the column. Any database failure is thrown to the caller, which then
// fails its request: a limit that cannot be counted is a limit that does not hold.
import { createHash } from "node:crypto";
import type { EntityManager } from "typeorm";
import type { Clock } from "../../clock.js";
import type { Repositories } from "../../domain/persistence.js";
import type { RateLimiter, RateLimitReservation, RateLimitResult } from "../../domain/ports.js";
import type { RateLimitCounterRepository } from "../../domain/rate-limit-persistence.js";
import type { Transaction } from "../../domain/unit-of-work.js";
import { placeholders, queryReturning } from "../raw-sql.js";
import type { Store } from "../store.js";

const MAX_PREFIX = 32;

/**
 * The stored form of a limit key: its first `:`-separated part (chosen by the code: "email",
 * "reauth", ...) for people reading the table, then the SHA-256 of the whole key. At most 97
 * characters whatever the key.
 */
export function storedKey(key: string): string {
  const colon = key.indexOf(":");
  const prefix = (colon === -1 ? key : key.slice(0, colon)).slice(0, MAX_PREFIX);
  return `${prefix}:${createHash("sha256").update(key).digest("hex")}`;
}

/** The counters of `em`'s transaction: one INSERT ... ON CONFLICT DO UPDATE per hit. */
export function rateLimitCounters(em: EntityManager): RateLimitCounterRepository {
  const p = placeholders(em);
  return {
    bump: async (key, windowStart, windowEnd) => {
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
      const [row] = await queryReturning<{ count: number | string; window_start: number | string }>(em, sql, [
        key,
        windowStart,
        windowEnd,
      ]);
      if (!row) throw new Error("rate limit upsert answered no row");
      return { count: Number(row.count), windowStart: Number(row.window_start) };
    },
    giveBack: async (key, windowStart) => {
      await em.query(
        `UPDATE rate_limits SET "count" = "count" - 1
          WHERE "key" = ${p(1)} AND window_start = ${p(2)} AND "count" > 0`,
        [key, windowStart],
      );
    },
  };
}

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
    const { allowed, retryAfterSeconds } = await this.reserve(key, limit, windowSeconds);
    return { allowed, retryAfterSeconds };
  }

  /**
   * Counts one hit before the work it guards, in `em`'s transaction when given (else its own), and
   * answers whether the work may run. Concurrent callers each get their own count, so at most
   * `limit` of them are allowed in a window.
   */
  async reserve(
    key: string,
    limit: number,
    windowSeconds: number,
    tx?: Transaction<Pick<Repositories, "rateLimits">>,
  ): Promise<RateLimitReservation> {
    const windowMs = windowSeconds * 1000;
    const now = this.clock.now();
    const windowStart = Math.floor(now / windowMs) * windowMs;
    const stored = storedKey(key);
    const bump = (counters: RateLimitCounterRepository) =>
      counters.bump(stored, windowStart, windowStart + windowMs);
    const row = await (tx
      ? bump(tx.rateLimits)
      : this.store.transaction((em) => bump(rateLimitCounters(em))));
    const counted = { key: stored, windowStart: row.windowStart };
    if (row.count <= limit) return { allowed: true, retryAfterSeconds: 0, ...counted };
    return { ...this.refusal(counted.windowStart + windowMs, now), ...counted };
  }

  /**
   * Gives back an allowed hit (the guarded work succeeded and must not count), in `tx` when given.
   * A no-op once its window has ended.
   */
  async refund(
    reservation: RateLimitReservation,
    tx?: Transaction<Pick<Repositories, "rateLimits">>,
  ): Promise<void> {
    if (!reservation.allowed) return;
    const giveBack = (counters: RateLimitCounterRepository) =>
      counters.giveBack(reservation.key, reservation.windowStart);
    await (tx ? giveBack(tx.rateLimits) : this.store.transaction((em) => giveBack(rateLimitCounters(em))));
  }

  private refusal(windowEnd: number, now: number): RateLimitResult {
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((windowEnd - now) / 1000)) };
  }

  /**
   * Answers whether `key` is already at `limit` in the current window, without counting a hit.
   * Never use it to guard expensive work (peek, work, then count lets every concurrent request
   * through): `reserve` instead.
   */
  async peek(key: string, limit: number, windowSeconds: number): Promise<RateLimitResult> {
    const windowMs = windowSeconds * 1000;
    const now = this.clock.now();
    const windowStart = Math.floor(now / windowMs) * windowMs;
    const [row] = await this.store.transaction(
      (em) =>
        em.query(`SELECT "count", window_start FROM rate_limits WHERE "key" = ${this.store.param(1)}`, [
          storedKey(key),
        ]) as Promise<Array<{ count: number | string; window_start: number | string }>>,
    );
    if (!row || Number(row.window_start) < windowStart || Number(row.count) < limit) {
      return { allowed: true, retryAfterSeconds: 0 };
    }
    return this.refusal(Number(row.window_start) + windowMs, now);
  }

  async reset(key: string): Promise<void> {
    await this.store.transaction((em) =>
      em.query(`DELETE FROM rate_limits WHERE "key" = ${this.store.param(1)}`, [storedKey(key)]),
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
