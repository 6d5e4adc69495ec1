// The audit trail's table: one row per security event, written in the transaction of the change it
// records, so an event is never lost or recorded for a change that rolled back.
import type { EntityManager } from "typeorm";
import type { AuditContext, AuditEventType, AuditRecorder } from "../../domain/audit.js";
import { placeholders } from "../raw-sql.js";

export async function recordAudit(
  em: EntityManager,
  now: number,
  type: AuditEventType,
  userId: string | null,
  context: AuditContext,
  detail: Record<string, unknown> = {},
): Promise<void> {
  // Raw SQL: every sign-in writes one, and TypeORM's save() reads the row back after inserting it
  // (the generated id and the defaults), a second statement no caller needs.
  const p = placeholders(em);
  await em.query(
    `INSERT INTO audit_events (at, type, user_id, ip, user_agent, detail) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)})`,
    [now, type, userId, context.ip.slice(0, 64), context.userAgent.slice(0, 512), JSON.stringify(detail)],
  );
}

export function auditRecorder(em: EntityManager): AuditRecorder {
  return { record: (...args) => recordAudit(em, ...args) };
}
