// Last-use times of sessions, written in batches instead of on every request: the request path only
// notes the time in memory; a periodic job (LAST_USE_WRITE_INTERVAL_MS, run by the app's scheduler)
// writes what changed, and `close` at shutdown, in short transactions. Until written, `pendingFor` answers the noted time so idle checks and session
// listings see it. A killed process loses at most the last interval's notes (a session may then
// look idle a few seconds early), never a revocation.
import type { SessionRepositories } from "../persistence.js";
import type { Logger } from "../ports.js";
import { commit, type UnitOfWork } from "../unit-of-work.js";

/** How often the scheduler writes the noted times (src/wiring/wire-sessions.ts). */
export const LAST_USE_WRITE_INTERVAL_MS = 5_000;
/** Rows per transaction, so a big batch never holds the writer for long. */
const ROWS_PER_TRANSACTION = 200;

export class LastUseWriter {
  private pending = new Map<string, number>();
  private writing = new Map<string, number>();
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly uow: UnitOfWork<SessionRepositories>,
    private readonly logger?: Pick<Logger, "warn">,
  ) {}

  note(sessionId: string, at: number): void {
    if ((this.pending.get(sessionId) ?? 0) < at) this.pending.set(sessionId, at);
  }

  /** The noted last use not yet in the database, if any. */
  pendingFor(sessionId: string): number | undefined {
    const a = this.pending.get(sessionId);
    const b = this.writing.get(sessionId);
    if (a === undefined) return b;
    return b === undefined ? a : Math.max(a, b);
  }

  /** Writes what is left at shutdown; a failure is logged, so shutdown goes on. */
  async close(): Promise<void> {
    await this.flush().catch((err: unknown) =>
      this.logger?.warn({ err }, "writing session last use at shutdown failed"),
    );
  }

  /** Writes every noted time; a time older than the stored one never overwrites it. */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    this.writing = this.pending;
    this.pending = new Map();
    const rows = [...this.writing];
    try {
      for (let i = 0; i < rows.length; i += ROWS_PER_TRANSACTION) {
        const chunk = rows.slice(i, i + ROWS_PER_TRANSACTION);
        await this.uow.run(async (tx) => commit(await tx.sessions.noteLastUse(chunk)));
      }
    } catch (error) {
      for (const [id, at] of rows) this.note(id, at);
      throw error;
    } finally {
      this.writing = new Map();
    }
  }
}
