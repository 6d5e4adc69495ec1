// What the tenant use cases are built from (wire-tenants.ts builds it once); each use case takes
// only the members it uses.
import type { Clock } from "../../clock.js";
import type { TenantRepositories } from "../persistence.js";
import type { SessionIssuer } from "../sessions/index.js";
import type { UnitOfWork } from "../unit-of-work.js";

export interface TenantsDeps {
  uow: UnitOfWork<TenantRepositories>;
  clock: Clock;
  /** Suspension ends the tenant's sessions; promoting an account ends its own (tokens carry roles). */
  sessions: Pick<SessionIssuer, "revokeAll" | "revokeAllOfTenant">;
  /** AUTHD_PENDING_TENANT_TTL: how long a RegisterCompany tenant waits for its first admin. */
  pendingTenantTtlSeconds: number;
  /** AUTHD_PASSWORD_RESET_TTL: how long the link `authd admin create` prints stays valid. */
  passwordResetTtlSeconds: number;
}
