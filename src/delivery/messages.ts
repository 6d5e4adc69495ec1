// The messages the outbox queues and the mailer and SMS providers send.
import type { Repositories } from "../domain/persistence.js";
import type { Transaction } from "../domain/unit-of-work.js";

/** A transaction that can queue a message: its outbox. */
export type OutboxTransaction = Transaction<Pick<Repositories, "outbox">>;

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface SmsMessage {
  to: string;
  text: string;
}

export interface MessageQueue {
  /** Queues an email in the caller's transaction: sent only if the transaction commits, retried until it is. */
  enqueueEmail(tx: OutboxTransaction, message: EmailMessage): Promise<void>;
  /** Queues an SMS the same way. */
  enqueueSms(tx: OutboxTransaction, message: SmsMessage): Promise<void>;
}
