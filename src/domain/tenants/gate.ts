// Whether an account's tenant lets it in. A suspended tenant's users cannot sign in, refresh, or use
// API keys; suspension also ends their sessions (tenants.ts), so their access tokens fail at once. A
// pending tenant (pending.ts) lets nobody in until its first admin verifies their address; sign-in
// refuses it first (login.ts), so the session gate below refusing it too is only a backstop.
import { failedPrecondition, withReason } from "../errors.js";
import type { Repositories } from "../persistence.js";
import type { Transaction } from "../unit-of-work.js";
import { DEFAULT_TENANT_ID, type TenantRecord } from "./records.js";

/** True unless the tenant exists and is suspended or pending (an account always has one). */
export async function tenantAdmits(
  reads: Pick<Repositories, "tenants">,
  tenantId: string | null,
): Promise<boolean> {
  return admits(await reads.tenants.findById(tenantId ?? DEFAULT_TENANT_ID));
}

/**
 * The same, for a transaction that creates a session: the tenant stays as read until it commits.
 * Suspension marks the tenant and then ends the sessions it finds; without the hold, a sign-in that
 * read "active" just before could commit a session the suspension never saw.
 */
export async function tenantAdmitsNewSession(
  tx: Transaction<Pick<Repositories, "tenants">>,
  tenantId: string | null,
): Promise<boolean> {
  return admits(await tx.tenants.findByIdHeld(tenantId ?? DEFAULT_TENANT_ID));
}

/**
 * Takes the tenant's row (as tenantAdmitsNewSession does) at the start of a transaction that signs
 * in to one of its accounts, before the transaction writes any row of the account: the lock order
 * of TenantUserRepository.lock. Session creation judges the tenant later; this only takes it first.
 */
export async function holdTenantFirst(
  tx: Transaction<Pick<Repositories, "tenants">>,
  tenantId: string | null,
): Promise<void> {
  await tx.tenants.findByIdHeld(tenantId ?? DEFAULT_TENANT_ID);
}

const admits = (tenant: TenantRecord | null) => statusAdmits(tenant?.status ?? null);

/** The rule itself, for a tenant status read some other way (null: no such tenant). */
export const statusAdmits = (status: string | null) => status !== "suspended" && status !== "pending";

export const tenantSuspended = () =>
  withReason("TENANT_SUSPENDED", failedPrecondition("the account's tenant is suspended"));

/** A pending tenant's sign-in, when the account's own address is not what stands in the way. */
export const tenantPending = () =>
  failedPrecondition(
    "the tenant is not active yet: its first admin has not verified their email address (or an operator activates it)",
  );
