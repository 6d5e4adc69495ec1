// The audit trail's table: one row per security event, written in the transaction of the change it
// records, so an event is never lost or recorded for a change that rolled back.
import type { EntityManager } from "typeorm";
import type { AuditContext, AuditEventType, AuditRecorder } from "../../domain/audit.js";
import { AuditEventEntity } from "../entities/audit-event.js";

export async function recordAudit(
  em: EntityManager,
  now: number,
  type: AuditEventType,
  userId: string | null,
  context: AuditContext,
  detail: Record<string, unknown> = {},
): Promise<void> {
  const event = em.create(AuditEventEntity, {
    at: now,
    type,
    userId,
    ip: context.ip.slice(0, 64),
    userAgent: context.userAgent.slice(0, 512),
  });
  event.detail = detail;
  await em.save(event);
}

export function auditRecorder(em: EntityManager): AuditRecorder {
  return { record: (...args) => recordAudit(em, ...args) };
}
