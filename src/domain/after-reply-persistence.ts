// What the work done after the reply (after-reply.ts) needs from persistence;
// src/store/repositories/deferred-work.ts implements it.

/** A piece of recorded work: written before the answer, deleted in the transaction that does it. */
export interface DeferredWorkRecord {
  id: string;
  kind: string;
  /** The request, as JSON (addresses, a password hash: nothing a client could not already hold). */
  payload: string;
  createdAt: number;
}

export interface DeferredWorkRepository {
  insert(work: DeferredWorkRecord): Promise<void>;
  findById(id: string): Promise<DeferredWorkRecord | null>;
  /** The ids of the oldest recorded work, at most `limit`. */
  oldestIds(limit: number): Promise<string[]>;
  /** Deletes the row; false when another caller deleted it first. */
  claim(id: string): Promise<boolean>;
}
