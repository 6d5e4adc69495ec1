// Work a public RPC finishes after it has answered. RequestPasswordReset, ResendVerificationEmail and
// Register must take the same time whether or not the address belongs to an account (ASVS 6.3.8),
// and the known-account work (a token, an outbox row, an audit row, a new account) is exactly what
// would tell them apart. So the request path does only what every request does (validation,
// captcha, rate limits, the password hash, and recording the work: one insert), answers, and the
// work runs here.
//
// The work is recorded before the answer, so an answer means it will be done even if the process
// dies right after: a recorded row is claimed by deleting it, in the same transaction as the work,
// so it is done exactly once whichever replica gets it; rows a crash left behind are picked up by
// the sweep, a job the app's scheduler runs at start and every SWEEP_INTERVAL_MS. A failure (a registration racing another for the same username)
// is retried once at once, then by the sweep; it is logged without the error's properties.
import { randomUUID } from "node:crypto";
import type { Clock } from "../clock.js";
import type { Repositories } from "./persistence.js";
import type { Logger } from "./ports.js";
import { commit, type Transaction, type UnitOfWork } from "./unit-of-work.js";

/** How often the sweep runs (src/wiring/wire-accounts.ts schedules it). */
export const SWEEP_INTERVAL_MS = 30_000;

/** Does one recorded piece of work inside the transaction that claims it (of the feature's repositories). */
export type DeferredHandler<R> = (tx: Transaction<R>, payload: unknown) => Promise<void>;

/** The feature's unit of work: its transactions claim the recorded rows and do the work. */
export interface AfterReplyDeps<R extends Pick<Repositories, "deferredWork">> {
  uow: UnitOfWork<R>;
  clock: Clock;
  logger: Pick<Logger, "error">;
}

export class AfterReply<R extends Pick<Repositories, "deferredWork">> {
  private readonly pending = new Set<Promise<void>>();
  private readonly handlers = new Map<string, DeferredHandler<R>>();

  constructor(private readonly deps: AfterReplyDeps<R>) {}

  handle(kind: string, handler: DeferredHandler<R>): void {
    this.handlers.set(kind, handler);
  }

  /** Records the work (await it before answering), then does it once the answer is on its way. */
  async defer(kind: string, payload: object): Promise<void> {
    if (!this.handlers.has(kind)) throw new Error(`no handler for deferred work "${kind}"`);
    const id = randomUUID();
    const row = { id, kind, payload: JSON.stringify(payload), createdAt: this.deps.clock.now() };
    await this.deps.uow.run(async (tx) => commit(await tx.deferredWork.insert(row)));
    void this.run(kind, () => this.doOnce(id).catch(() => this.doOnce(id)));
  }

  /**
   * Does every recorded piece of work still waiting (left by a crash, or by a failure); resolves
   * when done. Never rejects: a failure is logged here, without the error's properties.
   */
  sweep(): Promise<void> {
    return this.run("sweep", () => this.sweepOnce());
  }

  /** Resolves once every task started so far, and any they started, has finished (shutdown, tests). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private async sweepOnce(): Promise<void> {
    const ids = await this.deps.uow.read((reads) => reads.deferredWork.oldestIds(100));
    for (const id of ids) {
      // Another replica may be doing it right now: the claim decides, and a failure waits for the next sweep.
      await this.doOnce(id).catch((err: unknown) => this.log("sweep", err));
    }
  }

  /** The DELETE is the claim; it commits together with the work, or neither does. */
  private async doOnce(id: string): Promise<void> {
    await this.deps.uow.run(async (tx) => {
      const row = await tx.deferredWork.findById(id);
      if (!row || !(await tx.deferredWork.claim(id))) return commit(undefined);
      const handler = this.handlers.get(row.kind);
      if (!handler) throw new Error(`no handler for deferred work "${row.kind}"`);
      await handler(tx, JSON.parse(row.payload));
      return commit(undefined);
    });
  }

  /** Starts `work` on a later turn of the event loop, so the answer goes out first; answers its end. */
  private run(what: string, work: () => Promise<void>): Promise<void> {
    const task = new Promise<void>((resolve) => setImmediate(resolve))
      .then(work)
      .catch((err: unknown) => this.log(what, err))
      .finally(() => this.pending.delete(task));
    this.pending.add(task);
    return task;
  }

  // Only the error's name and first line: a database error carries the statement's parameters (an
  // address, a password hash), which have no place in the log.
  private log(what: string, err: unknown): void {
    this.deps.logger.error({ task: what, error: describe(err) }, "work after the reply failed");
  }
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return "unknown error";
  return `${err.name}: ${(err.message.split("\n")[0] ?? "").slice(0, 200)}`;
}
