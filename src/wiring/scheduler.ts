// The one scheduler: every periodic job of every part (purges, the after-reply sweep, the batched
// session last-use writes) runs here, on real-time timers that do not keep the process alive. A
// job never runs twice at once (a tick that finds it running is skipped), a failed run is logged
// with the job's name and the job runs again at its next tick, and `stop` ends the timers and waits
// for the runs in progress, so shutdown closes nothing under a running job.
import type { Job } from "./wired.js";

export interface SchedulerLogger {
  warn(fields: object, message: string): void;
}

export class Scheduler {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Map<Job, Promise<void>>();
  private stopped = false;

  constructor(private readonly logger: SchedulerLogger) {}

  /** Starts each job on its interval (and at once when it asks to). */
  start(jobs: readonly Job[]): void {
    for (const job of jobs) {
      if (job.atStart) this.tick(job);
      const timer = setInterval(() => this.tick(job), job.everyMs);
      timer.unref();
      this.timers.push(timer);
    }
  }

  /** Stops every timer and resolves once the runs in progress have ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    await Promise.all(this.running.values());
  }

  private tick(job: Job): void {
    if (this.stopped || this.running.has(job)) return;
    const run = Promise.resolve()
      .then(() => job.run())
      .then(
        () => undefined,
        (err: unknown) => this.logger.warn({ err, job: job.name }, "periodic job failed"),
      )
      .finally(() => this.running.delete(job));
    this.running.set(job, run);
  }
}
