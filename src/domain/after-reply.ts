// Work a public RPC finishes after it has answered. RequestPasswordReset, ResendVerificationEmail and
// Register must take the same time whether or not the address belongs to an account (ASVS 6.3.8),
// and the known-account work (a token, an outbox row, an audit row, a new account) is exactly what
// would tell them apart. So the request path does only what every request does (validation,
// captcha, rate limits, the password hash), and the rest runs here, once the answer is on its way.
// The answer is the same whatever happens here, so a failure is logged, never returned.
import type { Logger } from "../logger.js";

export class AfterReply {
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly logger: Pick<Logger, "error">) {}

  /** Starts `work` on a later turn of the event loop; `what` names it in the log if it fails. */
  run(what: string, work: () => Promise<void>): void {
    const task = new Promise<void>((resolve) => setImmediate(resolve))
      .then(work)
      // Only the error's name and first line: a database error carries the statement's parameters
      // (an address, a password hash), which have no place in the log.
      .catch((err: unknown) =>
        this.logger.error({ task: what, error: describe(err) }, "work after the reply failed"),
      )
      .finally(() => this.pending.delete(task));
    this.pending.add(task);
  }

  /** Resolves once every task started so far, and any they started, has finished (shutdown, tests). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return "unknown error";
  return `${err.name}: ${(err.message.split("\n")[0] ?? "").slice(0, 200)}`;
}
