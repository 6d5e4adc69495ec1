// SetUserPassword and DeleteUser: the changes that take an account from whoever holds it now. Both
// re-authenticate the administrator (reauthentication.ts) after every check that could refuse
// them, and check again in the transaction that writes, with the tenant held: a promotion to
// operator committed (or still committing) meanwhile wins.
import { failedPrecondition, invalidArgument } from "../errors.js";
import { voidTokens } from "../one-time-tokens.js";
import { checkPasswordPolicy } from "../passwords.js";
import type { ClientInfo } from "../ports.js";
import { commit } from "../unit-of-work.js";
import { type AdminCaller, administeredTenant, guardOperatorAccount, userOfTenant } from "./access.js";
import type { AdministrationDeps } from "./deps.js";
import { keepAnAdmin, keepAnOperator } from "./last-admin.js";

export interface SetUserPasswordInput {
  /** The tenant's slug; empty: the caller's own. */
  tenant: string;
  userId: string;
  newPassword: string;
  /** The owner must choose a new password (by the reset link) before signing in. */
  requireChange: boolean;
  /** The administrator's own password (re-authentication). */
  currentPassword: string;
}

/**
 * Sets the password and ends every way in that the old one opened; answers how many sessions of
 * the user ended. invalid_argument naming `new_password` or `user_id`; not_found outside the
 * tenant; permission_denied for an operator's account (to anyone but an operator) or a failed
 * re-authentication.
 */
export async function setUserPassword(
  deps: Pick<
    AdministrationDeps,
    | "uow"
    | "clock"
    | "hasher"
    | "notices"
    | "sessions"
    | "apiKeys"
    | "secondFactor"
    | "reauth"
    | "passwordMinLength"
  >,
  caller: AdminCaller,
  { tenant, userId, newPassword, requireChange, currentPassword }: SetUserPasswordInput,
  client: ClientInfo,
): Promise<number> {
  const tenantId = await administeredTenant(deps, caller, tenant);
  // Validate.
  if (newPassword === "") throw invalidArgument("new_password", "is required");
  // Load.
  const target = await deps.uow.read((reads) => userOfTenant(reads, tenantId, userId));
  // Check permission; the policy, which needs the account (its email and username), before the
  // administrator's password, so that a refusal costs no guess.
  guardOperatorAccount(caller, target);
  checkPasswordPolicy(newPassword, deps.passwordMinLength, target, "new_password");
  await deps.reauth.confirm(caller, currentPassword, { purpose: "to set another account's password" });
  // Write.
  const hash = await deps.hasher.hash(newPassword);
  const now = deps.clock.now();
  return deps.uow.run(async (tx) => {
    await tx.tenantUsers.lock(tenantId);
    const user = await userOfTenant(tx, tenantId, userId);
    guardOperatorAccount(caller, user);
    await tx.accounts.update(user.id, {
      passwordHash: hash,
      passwordChangeRequired: requireChange,
      failedLogins: 0,
      lockedUntil: null,
      updatedAt: now,
    });
    // Whoever held the old password is out: sessions, keys, remembered devices, pending links.
    const revoked = await deps.sessions.revokeAll(tx, user.id);
    await deps.apiKeys.revokeAll(tx, user.id);
    await deps.secondFactor.revokeTrustedDevices(tx, user.id);
    await voidTokens(tx, now, user.id, ["change_email"]);
    await tx.accountData.voidPendingSignIns(user.id, now);
    await deps.notices.send(tx, { kind: "password_set_by_admin", to: user.email, mustChange: requireChange });
    await tx.audit.record(now, "user.password_set", user.id, client, {
      byAdmin: caller.userId,
      requireChange,
      revokedSessions: revoked,
    });
    return commit(revoked);
  });
}

export interface DeleteUserInput {
  /** The tenant's slug; empty: the caller's own. */
  tenant: string;
  userId: string;
  /** The administrator's own password (re-authentication). */
  currentPassword: string;
}

/**
 * Erases the account as ConfirmDeletion does. failed_precondition for the caller's own account (an
 * administrator leaves with RequestDeletion) and LAST_ADMIN; invalid_argument naming `user_id`;
 * not_found outside the tenant; permission_denied for an operator's account (to anyone but an
 * operator) or a failed re-authentication.
 */
export async function deleteUser(
  deps: Pick<AdministrationDeps, "uow" | "clock" | "notices" | "sessions" | "apiKeys" | "reauth">,
  caller: AdminCaller,
  { tenant, userId, currentPassword }: DeleteUserInput,
  client: ClientInfo,
): Promise<void> {
  const tenantId = await administeredTenant(deps, caller, tenant);
  // Validate.
  if (userId !== "" && userId === caller.userId)
    throw failedPrecondition("an administrator deletes their own account with RequestDeletion");
  // Load.
  const target = await deps.uow.read((reads) => userOfTenant(reads, tenantId, userId));
  // Check permission.
  guardOperatorAccount(caller, target);
  await deps.reauth.confirm(caller, currentPassword, { purpose: "to delete an account" });
  // Write.
  const now = deps.clock.now();
  await deps.uow.run(async (tx) => {
    await tx.tenantUsers.lock(tenantId);
    const user = await userOfTenant(tx, tenantId, userId);
    guardOperatorAccount(caller, user);
    await keepAnAdmin(tx, tenantId, user, null);
    await keepAnOperator(tx, user, null);
    // Revoked first, then erased: revoking tells the session and key caches the credentials are gone.
    await deps.sessions.revokeAll(tx, user.id);
    await deps.apiKeys.revokeAll(tx, user.id);
    await deps.notices.send(tx, { kind: "account_deleted", to: user.email });
    await tx.accountData.erase(user);
    await tx.accountData.forgetRequestOrigins(user.id);
    // The trail keeps who deleted whom, not where the deleted account's requests came from.
    await tx.audit.record(now, "user.deleted", user.id, client, { byAdmin: caller.userId });
    return commit(undefined);
  });
}
