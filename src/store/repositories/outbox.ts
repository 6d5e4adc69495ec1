// The outbox rows a transaction queues (delivery/outbox.ts claims and sends them afterwards).
import type { EntityManager } from "typeorm";
import type { OutboxRepository } from "../../domain/outbox-persistence.js";
import { OutboxMessageEntity } from "../entities/outbox-message.js";

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
