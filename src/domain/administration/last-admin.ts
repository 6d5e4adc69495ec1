// The last admin and the last operator. A change that would leave a tenant with no active "admin"
// (demoting, disabling or deleting the last one), or authd with no active "operator", is refused
// with LAST_ADMIN: an administrator's (update-user.ts, user-credentials.ts) and an account closing
// itself (accounts/closure.ts, which imports these for its own transaction). Each check runs after
// TenantUserRepository.lock of the tenant (operators are all of the default tenant, so the tenant
// held is theirs): two concurrent demotions of its last two admins (or of the last two operators,
// by each other) run one after the other, and the second sees the first.
import type { AccountRecord } from "../accounts/persistence.js";
import { failedPrecondition, withReason } from "../errors.js";
import type { Repositories } from "../persistence.js";
import { DEFAULT_TENANT_ID } from "../tenants/records.js";
import { ADMIN_ROLE, OPERATOR_ROLE } from "../tenants/roles.js";

const isActiveAdmin = (u: Pick<AccountRecord, "status" | "roles">) =>
  u.status === "active" && u.roles.includes(ADMIN_ROLE);

/**
 * LAST_ADMIN when `user` is an active admin of the tenant and, after the change (`after`; null:
 * deleted), no other active admin is left. Run after TenantUserRepository.lock.
 */
export async function keepAnAdmin(
  reads: Pick<Repositories, "tenantUsers">,
  tenantId: string,
  user: AccountRecord,
  after: Pick<AccountRecord, "status" | "roles"> | null,
): Promise<void> {
  if (!isActiveAdmin(user) || (after && isActiveAdmin(after))) return;
  const others = (await reads.tenantUsers.activeIdsWithRole(tenantId, ADMIN_ROLE)).filter(
    (id) => id !== user.id,
  );
  if (others.length === 0)
    throw withReason(
      "LAST_ADMIN",
      failedPrecondition("this is the tenant's last admin: make another user admin first"),
    );
}

/**
 * The same rule for operators, who exist in the default tenant only: LAST_ADMIN when `user` is an
 * active operator and, after the change (`after`; null: closed or deleted), no other active
 * operator is left, so that tenants keep someone who can manage them. Run after
 * TenantUserRepository.lock of the default tenant.
 */
export async function keepAnOperator(
  reads: Pick<Repositories, "tenantUsers">,
  user: AccountRecord,
  after: Pick<AccountRecord, "status" | "roles"> | null,
): Promise<void> {
  const activeOperator = (u: Pick<AccountRecord, "status" | "roles">) =>
    u.status === "active" && u.roles.includes(OPERATOR_ROLE);
  if (user.tenantId !== DEFAULT_TENANT_ID || !activeOperator(user) || (after && activeOperator(after)))
    return;
  const others = (await reads.tenantUsers.activeIdsWithRole(DEFAULT_TENANT_ID, OPERATOR_ROLE)).filter(
    (id) => id !== user.id,
  );
  if (others.length === 0)
    throw withReason(
      "LAST_ADMIN",
      failedPrecondition("this is the last operator: make another user operator first"),
    );
}
