// A tenant administrator setting a user's password, and deleting a user: the changes that take an
// account from whoever holds it now. Both re-authenticate the administrator (reauthentication.ts)
// after every check that could refuse them, and check again in the transaction that writes, with
// the tenant held: a promotion to operator committed (or still committing) meanwhile wins.
import { failedPrecondition, invalidArgument } from "../errors.js";
import { voidTokens } from "../one-time-tokens.js";
import { checkPasswordPolicy } from "../passwords.js";
import type { ClientInfo } from "../ports.js";
import { commit } from "../unit-of-work.js";
import { guardOperatorAccount, keepAnAdmin, keepAnOperator, userOfTenant } from "./tenant-user-rules.js";
import type { TenantUserDeps } from "./tenant-users.js";
import type { AdminCaller } from "./user-admin.js";

export interface PasswordSetting {
  userId: string;
  password: string;
  requireChange: boolean;
  /** The administrator's own password (re-authentication). */
  currentPassword: string;
}

/** Sets the password; answers how many sessions of the user it ended. */
export async function setTenantUserPassword(
  deps: TenantUserDeps,
  caller: AdminCaller,
  slug: string,
  { userId, password, requireChange, currentPassword }: PasswordSetting,
  client: ClientInfo,
): Promise<number> {
  const tenantId = await deps.access.tenantOf(caller, slug);
  if (password === "") throw invalidArgument("new_password", "is required");
  const target = await deps.uow.read((reads) => userOfTenant(reads, tenantId, userId));
  guardOperatorAccount(caller, target);
  checkPasswordPolicy(password, deps.passwordMinLength, target, "new_password");
  await deps.reauth.confirm(caller, currentPassword, { purpose: "to set another account's password" });
  const hash = await deps.hasher.hash(password);
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

/** Erases the account as ConfirmDeletion does; the caller cannot delete itself. */
export async function deleteTenantUser(
  deps: TenantUserDeps,
  caller: AdminCaller,
  slug: string,
  { userId, currentPassword }: { userId: string; currentPassword: string },
  client: ClientInfo,
): Promise<void> {
  const tenantId = await deps.access.tenantOf(caller, slug);
  if (userId !== "" && userId === caller.userId)
    throw failedPrecondition("an administrator deletes their own account with RequestDeletion");
  const target = await deps.uow.read((reads) => userOfTenant(reads, tenantId, userId));
  guardOperatorAccount(caller, target);
  await deps.reauth.confirm(caller, currentPassword, { purpose: "to delete an account" });
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
