// The outbox's table: the rows a transaction queues (OutboxRepository, part of a Transaction), and the
// statements of the worker that claims and sends them afterwards (OutboxTable, delivery/outbox.ts).
import type { EntityManager } from "typeorm";
import type { OutboxRepository } from "../../domain/outbox-persistence.js";
import { OutboxMessageEntity } from "../entities/outbox-message.js";
import { queryReturning } from "../raw-sql.js";
import type { Store } from "../store.js";

export function outboxRepository(em: EntityManager): OutboxRepository {
  return {
    insert: async ({ id, kind, payload, createdAt }) => {
      await em.insert(OutboxMessageEntity, {
        id,
        kind,
        payload,
        status: "pending",
        attempts: 0,
        nextAttemptAt: createdAt,
        lockedUntil: null,
        claimedBy: null,
        lastError: null,
        createdAt,
        sentAt: null,
      });
    },
  };
}

/** A message claimed for delivery. */
export interface ClaimedOutboxRow {
  id: string;
  kind: "email" | "sms";
  payload: string;
  attempts: number | string;
}

/** What a delivery attempt writes back. */
export interface OutboxOutcome {
  status?: "sent" | "failed";
  attempts: number;
  sentAt?: number;
  payload?: string;
  lastError: string | null;
  nextAttemptAt?: number;
}

/** The outbox's pending and failed messages, grouped for the metrics. */
export interface OutboxBacklogRow {
  status: string;
  retried: number | string | boolean;
  n: number | string;
  oldest: number | string | null;
}

/**
 * The outbox worker's statements (delivery/outbox.ts): each runs on its own, outside any use case's
 * transaction, so the worker never holds an EntityManager.
 */
export class OutboxTable {
  constructor(private readonly store: Store) {}

  /**
   * Claims up to `limit` due messages for `claimant` until `leaseUntil`. The outer WHERE repeats the
   * conditions of the inner SELECT: when two replicas pick the same row, PostgreSQL re-checks them on
   * the row the first one updated and skips it for the second; SQLite runs one writer at a time.
   */
  claimDue(now: number, leaseUntil: number, claimant: string, limit: number): Promise<ClaimedOutboxRow[]> {
    // Numbered placeholders, reused: $n on PostgreSQL, ?n on SQLite.
    const p = (n: number) => (this.store.dialect === "postgres" ? `$${n}` : `?${n}`);
    const due = `status = 'pending' AND next_attempt_at <= ${p(1)} AND (locked_until IS NULL OR locked_until <= ${p(1)})`;
    const sql = `UPDATE outbox_messages SET locked_until = ${p(2)}, claimed_by = ${p(3)}
      WHERE ${due} AND id IN (
        SELECT id FROM outbox_messages WHERE ${due} ORDER BY next_attempt_at, created_at LIMIT ${p(4)})
      RETURNING id, kind, payload, attempts`;
    return this.store.transaction((em) =>
      queryReturning<ClaimedOutboxRow>(em, sql, [now, leaseUntil, claimant, limit]),
    );
  }

  /** Writes an attempt's outcome and releases the claim, if `claimant` still holds it. */
  async release(id: string, claimant: string, outcome: OutboxOutcome): Promise<void> {
    await this.store.transaction((em) =>
      em.update(
        OutboxMessageEntity,
        { id, claimedBy: claimant },
        { ...outcome, lockedUntil: null, claimedBy: null },
      ),
    );
  }

  /** Deletes the messages sent before `before` (failed ones stay for inspection); answers how many. */
  async purgeSentBefore(before: number): Promise<number> {
    const result = await this.store.transaction((em) =>
      em
        .createQueryBuilder()
        .delete()
        .from(OutboxMessageEntity)
        .where("status = :status AND sent_at < :before", { status: "sent", before })
        .execute(),
    );
    return result.affected ?? 0;
  }

  /** Pending and failed messages by state (retried or not), with the oldest creation time: a plain read. */
  backlog(): Promise<OutboxBacklogRow[]> {
    return this.store.read(
      (em) =>
        em.query(
          `SELECT status, CASE WHEN attempts > 0 THEN 1 ELSE 0 END AS retried, COUNT(*) AS n,
             MIN(created_at) AS oldest
           FROM outbox_messages WHERE status IN ('pending', 'failed')
           GROUP BY status, CASE WHEN attempts > 0 THEN 1 ELSE 0 END`,
        ) as Promise<OutboxBacklogRow[]>,
    );
  }
}
