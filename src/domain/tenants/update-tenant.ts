// UpdateTenant: an operator renames a company, or suspends or reactivates it. Suspending ends every
// session of the tenant's users through the session issuer, in the same transaction, so the session
// cache forgets them at once (sessions.ts) and their access tokens fail; sign-in and API keys are
// refused from then on (gate.ts).
import { failedPrecondition, invalidArgument, notFound } from "../errors.js";
import type { ClientInfo } from "../ports.js";
import { commit } from "../unit-of-work.js";
import type { TenantsDeps } from "./deps.js";
import { DEFAULT_TENANT_ID, type TenantRecord, type TenantStatus } from "./records.js";
import { checkTenantName } from "./slugs.js";

/** What UpdateTenant changes; an absent field is kept. */
export interface TenantChanges {
  name?: string | undefined;
  status?: TenantStatus | undefined;
}

/**
 * The tenant as changed. invalid_argument naming `tenant_id`, `name` or `status` (a tenant cannot
 * be made pending); failed_precondition for suspending the default tenant; not_found.
 */
export async function updateTenant(
  deps: Pick<TenantsDeps, "uow" | "clock" | "sessions">,
  id: string,
  changes: TenantChanges,
  actorId: string | null,
  client: ClientInfo,
): Promise<TenantRecord> {
  // Validate.
  if (id === "") throw invalidArgument("tenant_id", "is required");
  const name = changes.name === undefined ? undefined : checkTenantName(changes.name, "name");
  if (changes.status === "pending") {
    // Pending means "its first admin has not verified yet" (RegisterCompany); nobody can undo that.
    throw invalidArgument("status", "a tenant cannot be made pending: set it active or suspended");
  }
  if (changes.status === "suspended" && id === DEFAULT_TENANT_ID) {
    throw failedPrecondition("the default tenant cannot be suspended");
  }
  const now = deps.clock.now();
  return deps.uow.run(async (tx) => {
    // Load.
    const tenant = await tx.tenants.findById(id);
    if (!tenant) throw notFound("no such tenant");
    // Write.
    const updated: TenantRecord = {
      ...tenant,
      name: name ?? tenant.name,
      status: changes.status ?? tenant.status,
      updatedAt: now,
    };
    await tx.tenants.update(id, { name: updated.name, status: updated.status, updatedAt: now });
    const revokedSessions =
      updated.status === "suspended" && tenant.status !== "suspended"
        ? await deps.sessions.revokeAllOfTenant(tx, id)
        : 0;
    await tx.audit.record(now, "tenant.updated", actorId, client, {
      tenantId: id,
      ...(name !== undefined ? { name } : {}),
      ...(changes.status !== undefined ? { status: changes.status } : {}),
      revokedSessions,
    });
    return commit(updated);
  });
}
