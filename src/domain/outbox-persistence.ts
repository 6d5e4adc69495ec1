// The outbox row a transaction writes beside the change it announces (delivery/outbox.ts seals the
// body and sends it once the transaction committed). Declared here so a Transaction can carry it
// without anyone outside src/store/ seeing how it is stored.

export interface OutboxRecord {
  id: string;
  kind: "email" | "sms";
  /** The message, sealed by delivery (the id is its associated data). */
  payload: string;
  /** The time the message is first due (the enqueueing transaction's now). */
  createdAt: number;
}

export interface OutboxRepository {
  /** Queues a message: it exists for the sender only if this transaction commits. */
  insert(message: OutboxRecord): Promise<void>;
}
