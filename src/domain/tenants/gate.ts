// Whether an account's tenant lets it in. A suspended tenant's users cannot sign in, refresh, or use
// API keys; suspension also ends their sessions (tenants.ts), so their access tokens fail at once.
import { failedPrecondition, withReason } from "../errors.js";
import type { Transaction } from "../persistence.js";
import { DEFAULT_TENANT_ID } from "./records.js";

/** True unless the tenant exists and is suspended (an account always has one). */
export async function tenantAdmits(tx: Transaction, tenantId: string | null): Promise<boolean> {
  const tenant = await tx.tenants.findById(tenantId ?? DEFAULT_TENANT_ID);
  return tenant?.status !== "suspended";
}

/**
 * The same, for a transaction that creates a session: the tenant stays as read until it commits.
 * Suspension marks the tenant and then ends the sessions it finds; without the hold, a sign-in that
 * read "active" just before could commit a session the suspension never saw.
 */
export async function tenantAdmitsNewSession(tx: Transaction, tenantId: string | null): Promise<boolean> {
  const tenant = await tx.tenants.findByIdHeld(tenantId ?? DEFAULT_TENANT_ID);
  return tenant?.status !== "suspended";
}

export const tenantSuspended = () =>
  withReason("TENANT_SUSPENDED", failedPrecondition("the account's tenant is suspended"));
