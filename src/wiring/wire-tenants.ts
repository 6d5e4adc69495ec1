// Tenants (companies), the roles a deployment knows, and what tenant administrators do: the
// tenant's users' sessions and audit trail (TenantUserAdmin), and the accounts themselves
// (TenantUsers). Companies whose first admin never verified free their slugs (a periodic job).
import type { Config } from "../config.js";
import type { Mfa } from "../domain/mfa/mfa.js";
import { TENANT_REPOSITORIES } from "../domain/persistence.js";
import type { ApiKeyRevoker, SessionIssuer, SessionLister } from "../domain/sessions/index.js";
import { Roles } from "../domain/tenants/roles.js";
import { TenantUsers } from "../domain/tenants/tenant-users.js";
import { Tenants } from "../domain/tenants/tenants.js";
import { TenantUserAdmin } from "../domain/tenants/user-admin.js";
import type { Infrastructure } from "./infrastructure.js";
import type { Wired } from "./wired.js";

export interface TenantsFace {
  tenants: Tenants;
  roles: Roles;
  /** A tenant admin's view of the tenant's users' sessions and audit trail. */
  tenantUsers: TenantUserAdmin;
  /** A tenant admin's use cases on the tenant's accounts (ListUsers ... DeleteUser). */
  tenantAccounts: TenantUsers;
}

/** The settings it uses. */
type Settings = Pick<
  Config,
  "roles" | "pendingTenantTtlSeconds" | "passwordResetTtlSeconds" | "passwordMinLength"
>;

export function wireTenants(
  infra: Pick<Infrastructure, "clock" | "unitOfWork" | "hasher" | "notices" | "reauth">,
  settings: Settings,
  needs: { sessions: SessionIssuer & SessionLister; secondFactor: Mfa; apiKeys: ApiKeyRevoker },
): Wired<TenantsFace> {
  const { clock } = infra;
  const uow = infra.unitOfWork(TENANT_REPOSITORIES);
  const tenants = new Tenants(uow, clock, needs.sessions, settings);
  const roles = new Roles(settings.roles);
  const tenantUsers = new TenantUserAdmin(uow, clock, needs.sessions);
  const tenantAccounts = new TenantUsers({
    uow,
    clock,
    hasher: infra.hasher,
    notices: infra.notices,
    sessions: needs.sessions,
    apiKeys: needs.apiKeys,
    secondFactor: needs.secondFactor,
    roles,
    access: tenantUsers,
    reauth: infra.reauth,
    passwordMinLength: settings.passwordMinLength,
    // An invitation link is valid as long as a password reset link.
    invitationTtlSeconds: settings.passwordResetTtlSeconds,
  });
  return {
    face: { tenants, roles, tenantUsers, tenantAccounts },
    closers: [],
    jobs: [
      // Companies whose first admin never verified (AUTHD_PENDING_TENANT_TTL) free their slugs.
      { name: "pending tenant release", everyMs: 10 * 60_000, run: () => tenants.releaseUnverified() },
    ],
  };
}
