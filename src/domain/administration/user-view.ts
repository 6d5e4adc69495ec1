// An account as its administrators see it: its profile, whether it has a second factor, and no
// credential (hash, failure count, lock).
import type { AccountRecord } from "../accounts/persistence.js";
import type { Repositories } from "../persistence.js";
import type { AdministrationDeps } from "./deps.js";

export type TenantUserView = Omit<AccountRecord, "passwordHash" | "failedLogins" | "lockedUntil"> & {
  mfaEnabled: boolean;
};

export async function viewOf(
  deps: Pick<AdministrationDeps, "secondFactor">,
  reads: Pick<Repositories, "mfa">,
  account: AccountRecord,
): Promise<TenantUserView> {
  const { passwordHash: _hash, failedLogins: _failures, lockedUntil: _lock, ...view } = account;
  return {
    ...view,
    passwordChangeRequired: account.passwordChangeRequired ?? false,
    mfaEnabled: await deps.secondFactor.isRequired(reads, account.id, undefined),
  };
}
