// The state of recently used sessions, in memory, so checking an access token needs no database
// read. What it holds can change in three ways, each handled here or by its caller:
// - revocation on this replica: `forget` at once, and again when the revoking transaction settles
//   (a concurrent read could otherwise cache the pre-commit state again);
// - revocation on another replica: its notification calls `forget`; and an entry is only trusted
//   while `freshness` vouches that every revocation committed more than REVOCATION_BOUND_MS ago has
//   reached this replica (otherwise it is read again), so a missed notification cannot stretch the bound;
// - time (expiry, idle): the caller decides with the clock on every use.
// Bounded: the least recently used entries go first.

/** Another replica's revocation is seen here within this time. */
export const REVOCATION_BOUND_MS = 1000;
/** Entries are read again after this long whatever happens (picks up another replica's last use). */
const MAX_AGE_MS = 60_000;

export interface CachedSession {
  userId: string;
  expiresAt: number;
  revoked: boolean;
  /** The latest use known here (the clock's epoch ms). */
  lastUsedAt: number;
  /** The last use the database holds, as far as this replica knows. */
  storedLastUsedAt: number;
  /** When it was read from the database (monotonic ms). */
  loadedAt: number;
}

/** Vouches for cross-replica revocations: every one committed before `coveredUntil()` is known here. */
export interface Freshness {
  /** Monotonic ms (performance.now()). */
  coveredUntil(): number;
}

/** A single process (SQLite): no other replica revokes, so every revocation is known at once. */
export const singleReplica: Freshness = { coveredUntil: () => Number.POSITIVE_INFINITY };

export class SessionCache {
  private readonly entries = new Map<string, CachedSession>();
  private generation = 0;

  constructor(
    private readonly freshness: Freshness = singleReplica,
    private readonly maxEntries = 100_000,
  ) {}

  get(id: string): CachedSession | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    const now = performance.now();
    const known = Math.max(entry.loadedAt, this.freshness.coveredUntil());
    if (now - entry.loadedAt > MAX_AGE_MS || known < now - REVOCATION_BOUND_MS) {
      this.entries.delete(id);
      return undefined;
    }
    // Most recently used last: Map keeps insertion order.
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry;
  }

  /** The entry, if held, without checking or refreshing it. */
  peek(id: string): CachedSession | undefined {
    return this.entries.get(id);
  }

  /** Taken before a database read; `put` ignores the read if anything was forgotten since. */
  snapshot(): number {
    return this.generation;
  }

  put(id: string, entry: CachedSession, snapshot: number): void {
    if (snapshot !== this.generation) return;
    this.entries.delete(id);
    this.entries.set(id, entry);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  forget(ids: Iterable<string>): void {
    this.generation++;
    for (const id of ids) this.entries.delete(id);
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
