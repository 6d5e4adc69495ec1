// The messages the outbox queues and the mailer and SMS providers send.
import type { EntityManager } from "typeorm";

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
  enqueueEmail(em: EntityManager, message: EmailMessage): Promise<void>;
  /** Queues an SMS the same way. */
  enqueueSms(em: EntityManager, message: SmsMessage): Promise<void>;
}
