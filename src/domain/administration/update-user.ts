// UpdateUser: an administrator changes an account's profile fields, roles or status. Changing roles
// re-authenticates the administrator (reauthentication.ts), after every check that could refuse
// it; disabling does not, but ends every way in: sessions, API keys, trusted devices, sign-ins
// waiting for a second factor. A role change ends the sessions too, so that new tokens carry the
// new roles. A granted administering role is announced to the tenant's administrators.
//
// In the transaction that writes, the tenant is held first (TenantUserRepository.lock) and the
// account read again: the operator rules are checked again, and the last admin and the last
// operator are kept (last-admin.ts).
import type { AccountChanges } from "../accounts/persistence.js";
import { isUniqueViolation } from "../accounts/users.js";
import {
  checkLanguage,
  checkMobile,
  checkName,
  checkTimezone,
  normalizeUsername,
} from "../accounts/validation.js";
import { alreadyExists } from "../errors.js";
import type { Repositories } from "../persistence.js";
import type { ClientInfo } from "../ports.js";
import { commit, type Transaction } from "../unit-of-work.js";
import {
  type AdminCaller,
  administeredTenant,
  guardOperatorAccount,
  guardOperatorRole,
  userOfTenant,
} from "./access.js";
import { announceNewAdministrator, gainedAdministeringRole } from "./admin-notices.js";
import type { AdministrationDeps } from "./deps.js";
import { keepAnAdmin, keepAnOperator } from "./last-admin.js";
import { type TenantUserView, viewOf } from "./user-view.js";

/** What UpdateUser changes; an undefined field is kept. */
export interface UserChanges {
  firstName?: string | undefined;
  lastName?: string | undefined;
  username?: string | undefined;
  mobile?: string | undefined;
  language?: string | undefined;
  timezone?: string | undefined;
  /** The complete new set; undefined keeps the roles. */
  roles?: string[] | undefined;
  status?: "active" | "deactivated" | undefined;
}

export interface UpdateUserInput {
  /** The tenant's slug; empty: the caller's own. */
  tenant: string;
  userId: string;
  changes: UserChanges;
  /** The administrator's own password, when the roles change. */
  currentPassword: string;
}

/**
 * The account as changed. invalid_argument naming the field; not_found outside the tenant;
 * already_exists naming `username`; permission_denied for an operator's account or the operator
 * role touched by anyone but an operator, or a failed re-authentication; failed_precondition
 * LAST_ADMIN.
 */
export async function updateUser(
  deps: Pick<
    AdministrationDeps,
    "uow" | "clock" | "notices" | "sessions" | "apiKeys" | "secondFactor" | "roles" | "reauth"
  >,
  caller: AdminCaller,
  { tenant, userId, changes, currentPassword }: UpdateUserInput,
  client: ClientInfo,
): Promise<TenantUserView> {
  const tenantId = await administeredTenant(deps, caller, tenant);
  // Validate.
  const set: AccountChanges = {};
  if (changes.firstName !== undefined) set.firstName = checkName(changes.firstName, "first_name");
  if (changes.lastName !== undefined) set.lastName = checkName(changes.lastName, "last_name");
  if (changes.username !== undefined) set.username = normalizeUsername(changes.username);
  if (changes.mobile !== undefined) {
    set.mobile = checkMobile(changes.mobile);
    set.mobileVerified = false;
  }
  if (changes.language !== undefined) set.language = checkLanguage(changes.language);
  if (changes.timezone !== undefined) set.timezone = checkTimezone(changes.timezone);
  if (changes.status !== undefined) set.status = changes.status;
  const roles = changes.roles === undefined ? undefined : deps.roles.check(changes.roles, tenantId, "roles");
  if (roles !== undefined) {
    // Load, then check permission: the roles are the change that needs the password.
    const target = await deps.uow.read((reads) => userOfTenant(reads, tenantId, userId));
    guardOperatorAccount(caller, target);
    guardOperatorRole(caller, roles, target.roles);
    await deps.reauth.confirm(caller, currentPassword, { purpose: "to change roles" });
    set.roles = roles;
  }
  const now = deps.clock.now();
  return deps.uow.run(async (tx) => {
    // Load again with the tenant held, and check again: a change committed meanwhile wins.
    await tx.tenantUsers.lock(tenantId);
    const user = await userOfTenant(tx, tenantId, userId);
    guardOperatorAccount(caller, user);
    if (roles !== undefined) guardOperatorRole(caller, roles, user.roles);
    const after = { ...user, ...set };
    await keepAnAdmin(tx, tenantId, user, after);
    await keepAnOperator(tx, user, after);
    if (
      set.username &&
      set.username !== user.username &&
      (await tx.accounts.findByUsername(tenantId, set.username))
    )
      throw alreadyExists("username: the tenant has an account with this username");
    // Write.
    await updateOrExplain(tx, user.id, { ...set, updatedAt: now });
    const disabled = user.status === "active" && after.status === "deactivated";
    const rolesChanged = roles !== undefined && !sameSet(roles, user.roles);
    let revokedSessions = 0;
    // New tokens must carry the new roles; a disabled account keeps no way in.
    if (disabled || rolesChanged) revokedSessions = await deps.sessions.revokeAll(tx, user.id);
    if (disabled) {
      await deps.apiKeys.revokeAll(tx, user.id);
      await deps.secondFactor.revokeTrustedDevices(tx, user.id);
      await tx.accountData.voidPendingSignIns(user.id, now);
    }
    await tx.audit.record(now, "user.updated", user.id, client, {
      byAdmin: caller.userId,
      fields: Object.keys(set),
      ...(rolesChanged ? { roles } : {}),
      ...(set.status !== undefined ? { status: set.status } : {}),
      revokedSessions,
    });
    const granted = gainedAdministeringRole(user.roles, after.roles);
    if (granted)
      await announceNewAdministrator(tx, deps.notices, {
        tenantId,
        account: user,
        role: granted,
        how: "granted",
        byUserId: caller.userId,
      });
    return commit(await viewOf(deps, tx, { ...after, updatedAt: now }));
  });
}

async function updateOrExplain(
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

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((r) => b.includes(r));
