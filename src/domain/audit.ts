// The audit trail of security events: who, what, when, from where. Written in the same transaction
// as the change it records, so an event is never lost or recorded for a change that rolled back
// (src/store/repositories/audit.ts writes it).

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
  | "identity.unlinked"
  | "tenant.created"
  | "tenant.updated"
  | "tenant.admin_created"
  | "tenant.activated"
  | "tenant.released"
  | "user.created"
  | "user.updated"
  | "user.password_set"
  | "signing_key.rotated"
  | "signing_key.withdrawn";

export interface AuditContext {
  ip: string;
  userAgent: string;
}

/** Records security events in the caller's transaction. */
export interface AuditRecorder {
  record(
    now: number,
    type: AuditEventType,
    userId: string | null,
    context: AuditContext,
    detail?: Record<string, unknown>,
  ): Promise<void>;
}
