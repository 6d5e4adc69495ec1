// The audit trail of security events: who, what, when, from where. Written in the same transaction
// as the change it records, so an event is never lost or recorded for a change that rolled back.
import type { EntityManager } from "typeorm";
import { AuditEventEntity } from "../store/entities/audit-event.js";

export type AuditEventType =
  | "user.registered"
  | "email.verified"
  | "login.succeeded"
  | "login.failed"
  | "login.locked"
  | "logout"
  | "password.changed"
  | "password.reset_requested"
  | "password.reset"
  | "email.change_requested"
  | "email.changed"
  | "user.deactivated"
  | "user.deleted"
  | "session.revoked"
  | "refresh_token.reused"
  | "api_key.created"
  | "api_key.revoked"
  | "mfa.enrolled"
  | "mfa.removed"
  | "mfa.challenge_failed"
  | "mfa.challenge_passed"
  | "trusted_device.revoked"
  | "identity.linked"
  | "identity.unlinked";

export interface AuditContext {
  ip: string;
  userAgent: string;
}

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
