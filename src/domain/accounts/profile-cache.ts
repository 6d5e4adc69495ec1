// The profiles GetCurrentUser answers, in memory for a short time: reading one costs two SELECTs
// through TypeORM (the account, its second factors), the bulk of that call's CPU (docs/performance.md).
// What keeps an entry true:
// - a change on this replica: the store repositories whose writes change a profile (the account row,
//   its second factors and recovery codes, its verified mobile number) call `forget` in exactly those
//   writes (store/unit-of-work.ts hands them the hook), at once and again when the writing
//   transaction settles, so a read that raced the write cannot put the old profile back;
// - a change on another replica: an entry is read again once it is PROFILE_BOUND_MS old, so another
//   replica's change shows here within that time, whatever the database.
// Bounded: the least recently used entries go first.
import type { Profile } from "./profile.js";

/** A change made on another replica shows here within this time. */
export const PROFILE_BOUND_MS = 1000;

interface Entry {
  profile: Profile;
  /** When its read started (monotonic ms): an entry is never younger than the data it holds. */
  loadedAt: number;
}

export class ProfileCache {
  private readonly entries = new Map<string, Entry>();
  private generation = 0;

  constructor(private readonly maxEntries = 10_000) {}

  get(userId: string): Profile | undefined {
    const entry = this.entries.get(userId);
    if (!entry) return undefined;
    this.entries.delete(userId);
    if (performance.now() - entry.loadedAt >= PROFILE_BOUND_MS) return undefined;
    // Most recently used last: Map keeps insertion order.
    this.entries.set(userId, entry);
    return entry.profile;
  }

  /** Taken before a database read; `put` ignores the read if the cache was cleared since. */
  snapshot(): { generation: number; at: number } {
    return { generation: this.generation, at: performance.now() };
  }

  put(userId: string, profile: Profile, snapshot: { generation: number; at: number }): void {
    if (snapshot.generation !== this.generation) return;
    this.entries.delete(userId);
    this.entries.set(userId, { profile, loadedAt: snapshot.at });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  /**
   * Forgets the account's profile, or every profile when the write that changed one does not know
   * whose (a second factor named by its own id). A read in flight for any account is not kept.
   */
  forget(userId?: string): void {
    this.generation++;
    if (userId === undefined) this.entries.clear();
    else this.entries.delete(userId);
  }

  /** Forgets every profile. */
  clear(): void {
    this.generation++;
    this.entries.clear();
  }
}
