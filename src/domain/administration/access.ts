// Who administers which accounts. An admin administers its own tenant, an operator (the default
// tenant's "operator" role) any tenant it names. A user of another tenant answers not_found,
// exactly like one that does not exist. Only an operator manages an operator's account (its
// password above all, its sessions, its trail) or grants or removes "operator": a default-tenant
// admin could otherwise make themselves an operator, or take over one by setting its password.
import type { AccountRecord } from "../accounts/persistence.js";
import { invalidArgument, notFound, permissionDenied } from "../errors.js";
import type { Repositories } from "../persistence.js";
import { DEFAULT_TENANT_ID } from "../tenants/records.js";
import { ADMIN_ROLE, isOperator, OPERATOR_ROLE } from "../tenants/roles.js";
import type { AdministrationDeps } from "./deps.js";

/** Who calls: a signed-in account or an API key of one (domain/callers.ts' Caller is one). */
export interface AdminCaller {
  userId: string;
  /** The caller's session; undefined for an API key (which cannot re-authenticate). */
  sessionId: string | undefined;
  tenantId: string | undefined;
  roles: readonly string[];
}

/**
 * The tenant the caller administers here: its own, or (operators only) the one `slug` names.
 * permission_denied unless the caller is an admin of it or an operator; not_found for an unknown
 * slug, to operators only (only they may learn whether another slug exists).
 */
export async function administeredTenant(
  deps: Pick<AdministrationDeps, "uow">,
  caller: AdminCaller,
  slug: string,
): Promise<string> {
  const own = caller.tenantId ?? DEFAULT_TENANT_ID;
  const operator = isOperator(caller);
  if (!operator && !caller.roles.includes(ADMIN_ROLE))
    throw permissionDenied("this call needs a tenant admin");
  if (slug === "") return own;
  const tenant = await deps.uow.read((reads) => reads.tenants.findBySlug(slug));
  if (tenant?.id === own) return own;
  if (!operator) throw permissionDenied("a tenant admin manages only its own tenant");
  if (!tenant) throw notFound("no such tenant");
  return tenant.id;
}

/** The account, when it belongs to the tenant; not_found otherwise (another tenant's included). */
export async function userOfTenant(
  reads: Pick<Repositories, "accounts">,
  tenantId: string,
  userId: string,
): Promise<AccountRecord> {
  if (userId === "") throw invalidArgument("user_id", "is required");
  const user = await reads.accounts.findById(userId);
  if (!user || (user.tenantId ?? DEFAULT_TENANT_ID) !== tenantId) throw notFound("no such user");
  return user;
}

/** permission_denied unless the caller may manage `user`: only an operator manages an operator. */
export function guardOperatorAccount(
  caller: Pick<AdminCaller, "tenantId" | "roles">,
  user: Pick<AccountRecord, "roles">,
): void {
  if (user.roles.includes(OPERATOR_ROLE) && !isOperator(caller))
    throw permissionDenied("only an operator manages an operator's account");
}

/** permission_denied when `roles` grants or removes "operator" (against `held`) and the caller is no operator. */
export function guardOperatorRole(
  caller: Pick<AdminCaller, "tenantId" | "roles">,
  roles: readonly string[],
  held: readonly string[],
): void {
  if (roles.includes(OPERATOR_ROLE) !== held.includes(OPERATOR_ROLE) && !isOperator(caller))
    throw permissionDenied('only an operator grants or removes "operator"');
}
