// The rules a tenant admin's changes keep (tenant-users.ts): the account must be of the tenant,
// only operators touch operators, the tenant keeps an active admin (and authd an active operator),
// and a taken email or username is an answer rather than an error from the database.
import type { AccountChanges, AccountRecord } from "../accounts/persistence.js";
import { isUniqueViolation } from "../accounts/users.js";
import {
  alreadyExists,
  failedPrecondition,
  invalidArgument,
  notFound,
  permissionDenied,
  withReason,
} from "../errors.js";
import type { Repositories } from "../persistence.js";
import type { Transaction } from "../unit-of-work.js";
import { DEFAULT_TENANT_ID } from "./records.js";
import { ADMIN_ROLE, isOperator, OPERATOR_ROLE } from "./roles.js";
import type { AdminCaller } from "./user-admin.js";

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

/** Only an operator manages an operator's account (its password above all, its sessions, its trail). */
export function guardOperatorAccount(
  caller: Pick<AdminCaller, "tenantId" | "roles">,
  user: Pick<AccountRecord, "roles">,
): void {
  if (user.roles.includes(OPERATOR_ROLE) && !isOperator(caller))
    throw permissionDenied("only an operator manages an operator's account");
}

export const isActiveAdmin = (u: Pick<AccountRecord, "status" | "roles">) =>
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

export async function insertOrExplain(
  tx: Transaction<Pick<Repositories, "accounts">>,
  account: AccountRecord,
): Promise<void> {
  try {
    await tx.accounts.insert(account);
  } catch (error) {
    // A concurrent create took the email or username between the lookups and the insert.
    if (isUniqueViolation(error)) throw alreadyExists("email or username: the tenant has an account with it");
    throw error;
  }
}

export async function updateOrExplain(
  tx: Transaction<Pick<Repositories, "accounts">>,
  id: string,
  changes: AccountChanges,
): Promise<void> {
  try {
    await tx.accounts.update(id, changes);
  } catch (error) {
    if (isUniqueViolation(error))
      throw alreadyExists("username: the tenant has an account with this username");
    throw error;
  }
}

export const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((r) => b.includes(r));
