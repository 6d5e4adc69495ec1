// The durable outbox. Domain code queues a message inside its own transaction (so a rolled-back
// registration sends nothing), and a worker on every replica polls the table and delivers what is
// due. A worker claims a message with one conditional UPDATE that only one replica can win, holds a
// lease while sending, and records the outcome; a failure is retried with exponential backoff until
// `maxAttempts`, then the message is marked failed. Delivery is at least once: a replica that dies
// after sending but before recording it lets the message be sent again when its lease ends.

import { randomUUID } from "node:crypto";
import type { Clock } from "../clock.js";
import type { SecretBox } from "../domain/secret-box.js";
import type { Logger } from "../logger.js";
import { type ClaimedOutboxRow, type OutboxOutcome, OutboxTable } from "../store/repositories/outbox.js";
import type { Store } from "../store/store.js";
import type { EmailSender } from "./mailer.js";
import type { EmailMessage, MessageQueue, OutboxTransaction, SmsMessage } from "./messages.js";
import type { SmsProvider } from "./sms.js";

export interface OutboxOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  email: EmailSender;
  sms: SmsProvider;
  /**
   * Seals message bodies at rest: until sent they hold single-use links and codes, which must not be
   * readable from a copy of the database.
   */
  box: SecretBox;
  /** Real-time interval between polls, in milliseconds. */
  pollIntervalMs?: number;
  /** Attempts before a message is marked failed. */
  maxAttempts?: number;
  /** First retry delay; doubles on every failure up to `maxBackoffMs`. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long a claim stays exclusive while sending (longer than any send timeout). */
  leaseMs?: number;
  /** Messages claimed per round. */
  batchSize?: number;
  /** Messages sent at the same time within a round. */
  concurrency?: number;
}

export type OutboxItem = { kind: "email"; message: EmailMessage } | { kind: "sms"; message: SmsMessage };

/** Delay before the attempt after `failedAttempts` failures: base, 2×base, 4×base, ... capped. */
export function backoffMs(failedAttempts: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, failedAttempts - 1));
}

/** An error as "CODE: message", short and without message content, for the table and the log. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return "unknown error";
  const e = err as Error & { code?: unknown; responseCode?: unknown };
  const code = typeof e.code === "string" ? e.code : e.name;
  const status = typeof e.responseCode === "number" ? ` ${e.responseCode}` : "";
  // SMTP answers can echo the command that failed; the first line is the reason.
  const message = (e.message.split("\n")[0] ?? "").slice(0, 200);
  return `${code}${status}: ${message}`.slice(0, 300);
}

export class Outbox implements MessageQueue {
  readonly instanceId = randomUUID();
  private readonly table: OutboxTable;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly email: EmailSender;
  private readonly sms: SmsProvider;
  private readonly box: SecretBox;
  private readonly pollIntervalMs: number;
  private readonly maxAttempts: number;
  private readonly baseBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly leaseMs: number;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<number> | undefined;
  private stopped = false;

  constructor(options: OutboxOptions) {
    this.table = new OutboxTable(options.store);
    this.clock = options.clock;
    this.logger = options.logger;
    this.email = options.email;
    this.sms = options.sms;
    this.box = options.box;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.maxAttempts = options.maxAttempts ?? 12;
    this.baseBackoffMs = options.baseBackoffMs ?? 5_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 3_600_000;
    this.leaseMs = options.leaseMs ?? 120_000;
    this.batchSize = options.batchSize ?? 20;
    this.concurrency = options.concurrency ?? 4;
  }

  async enqueueEmail(tx: OutboxTransaction, message: EmailMessage): Promise<void> {
    await this.enqueue(tx, { kind: "email", message });
  }

  async enqueueSms(tx: OutboxTransaction, message: SmsMessage): Promise<void> {
    await this.enqueue(tx, { kind: "sms", message });
  }

  /** Queues a message in the caller's transaction; answers its outbox id (also sent to SMS webhooks). */
  async enqueue(tx: OutboxTransaction, item: OutboxItem): Promise<string> {
    // Only the known fields: a caller's extra properties never reach the table.
    const payload =
      item.kind === "email"
        ? {
            to: item.message.to,
            subject: item.message.subject,
            text: item.message.text,
            html: item.message.html,
          }
        : { to: item.message.to, text: item.message.text };
    const id = randomUUID();
    await tx.outbox.insert({
      id,
      kind: item.kind,
      // The id is the associated data: a sealed body cannot be moved onto another row.
      payload: this.box.seal(JSON.stringify(payload), id),
      createdAt: this.clock.now(),
    });
    return id;
  }

  /** Deletes sent messages older than `olderThanMs` (failed ones stay for inspection); answers how many. */
  async purgeSent(olderThanMs = 7 * 24 * 3_600_000): Promise<number> {
    return this.table.purgeSentBefore(this.clock.now() - olderThanMs);
  }

  /** Starts polling on a real-time interval that does not keep the process alive. */
  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => {
      this.drainOnce().catch((err) => this.logger.error({ err: describeError(err) }, "outbox poll failed"));
    }, this.pollIntervalMs);
    this.timer.unref();
  }

  /**
   * Delivers every message due now (including ones queued just before the call) and resolves when
   * done; answers how many were attempted. Failed attempts are rescheduled, not retried here.
   */
  async flush(): Promise<number> {
    await this.draining?.catch(() => undefined);
    return this.drainOnce();
  }

  /** Stops polling and waits for the round in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.draining?.catch(() => undefined);
    this.email.close();
  }

  private drainOnce(): Promise<number> {
    if (!this.draining) {
      this.draining = this.drain().finally(() => {
        this.draining = undefined;
      });
    }
    return this.draining;
  }

  private async drain(): Promise<number> {
    let attempted = 0;
    for (;;) {
      const claimed = await this.claim();
      // A few sends at a time: a backlog drains faster without opening a connection per message.
      const queue = [...claimed];
      const lane = async () => {
        for (let row = queue.shift(); row; row = queue.shift()) await this.deliver(row);
      };
      await Promise.all(Array.from({ length: Math.min(this.concurrency, queue.length) }, lane));
      attempted += claimed.length;
      if (claimed.length < this.batchSize) return attempted;
    }
  }

  /** Claims up to a batch of due messages, for this worker, for one lease. */
  private claim(): Promise<ClaimedOutboxRow[]> {
    const now = this.clock.now();
    return this.table.claimDue(now, now + this.leaseMs, this.instanceId, this.batchSize);
  }

  private async deliver(row: ClaimedOutboxRow): Promise<void> {
    const attempts = Number(row.attempts) + 1;
    try {
      const payload = JSON.parse(this.box.open(row.payload, row.id));
      if (row.kind === "email") await this.email.send(payload as EmailMessage, row.id);
      else await this.sms.send(payload as SmsMessage, row.id);
    } catch (err) {
      await this.recordFailure(row, attempts, describeError(err));
      return;
    }
    await this.record(row.id, {
      status: "sent",
      attempts,
      sentAt: this.clock.now(),
      payload: "{}",
      lastError: null,
    });
    this.logger.debug({ outboxId: row.id, kind: row.kind, attempts }, "message delivered");
  }

  private async recordFailure(row: ClaimedOutboxRow, attempts: number, error: string): Promise<void> {
    if (attempts >= this.maxAttempts) {
      await this.record(row.id, { status: "failed", attempts, payload: "{}", lastError: error });
      this.logger.error({ outboxId: row.id, kind: row.kind, attempts, error }, "message delivery gave up");
      return;
    }
    const delay = backoffMs(attempts, this.baseBackoffMs, this.maxBackoffMs);
    await this.record(row.id, { attempts, nextAttemptAt: this.clock.now() + delay, lastError: error });
    this.logger.warn(
      { outboxId: row.id, kind: row.kind, attempts, retryInSeconds: delay / 1000, error },
      "message delivery failed; will retry",
    );
  }

  /** Writes the outcome and releases the claim, if this worker still holds it. */
  private record(id: string, outcome: OutboxOutcome): Promise<void> {
    return this.table.release(id, this.instanceId, outcome);
  }
}
