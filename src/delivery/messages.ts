// The messages the outbox queues and the mailer and SMS providers send.
import type { Transaction } from "../domain/persistence.js";

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
  enqueueEmail(tx: Transaction, message: EmailMessage): Promise<void>;
  /** Queues an SMS the same way. */
  enqueueSms(tx: Transaction, message: SmsMessage): Promise<void>;
}
