import { Column, Entity, PrimaryColumn } from "typeorm";
import { millis } from "../columns.js";

export type OutboxKind = "email" | "sms";
export type OutboxStatus = "pending" | "sent" | "failed";

/**
 * A message waiting for delivery, written in the same transaction as the change that caused it. The
 * payload (an EmailMessage or SmsMessage as JSON) is blanked once the message is sent or given up, so
 * emailed links and codes do not stay in the database.
 */
@Entity({ name: "outbox_messages" })
export class OutboxMessageEntity {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id: string;

  @Column({ type: "varchar", length: 8 })
  kind: OutboxKind;

  @Column({ type: "text" })
  payload: string;

  @Column({ type: "varchar", length: 8 })
  status: OutboxStatus;

  /** Delivery attempts made so far. */
  @Column({ type: "integer", default: 0 })
  attempts: number;

  @Column({ name: "next_attempt_at", type: "bigint", transformer: millis })
  nextAttemptAt: number;

  /** While a worker is sending: the end of its lease; another worker may claim it after that. */
  @Column({ name: "locked_until", type: "bigint", nullable: true, transformer: millis })
  lockedUntil: number | null;

  @Column({ name: "claimed_by", type: "varchar", length: 64, nullable: true })
  claimedBy: string | null;

  /** Why the last attempt failed: an error code and message, never the message content. */
  @Column({ name: "last_error", type: "varchar", length: 300, nullable: true })
  lastError: string | null;

  @Column({ name: "created_at", type: "bigint", transformer: millis })
  createdAt: number;

  @Column({ name: "sent_at", type: "bigint", nullable: true, transformer: millis })
  sentAt: number | null;
}
