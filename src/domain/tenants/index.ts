// Tenants, the face: the companies a deployment serves. An operator's use cases on them
// (CreateTenant, GetTenant, ListTenants, UpdateTenant), `authd admin create`, the release of the
// pending tenants nobody verified (a periodic job), and whether a tenant lets its accounts in (the
// credential path asks). Each method is one use case in its own unit of work.
//
// Handlers reach tenants only through this file (with domain/errors.ts, domain/callers.ts for the
// Caller and domain/ports.ts for ClientInfo). Who may: the tenant RPCs are an operator's
// (isOperator), which the handler checks before it calls, as it checks the API key's scope: the
// face is the seeding path too, where the actor is the test or the command line (actorId null).
//
// What other features use inside their own transactions is no method here: it is exported by the
// file that owns it, for those features only. gate.ts: whether a tenant admits a sign-in or a
// credential (holdTenantFirst, tenantAdmits, tenantAdmitsNewSession); scope.ts: which tenant a
// public request names; pending.ts: a verified first admin activates its tenant
// (activateForVerifiedAdmin, holdTenantToActivate); records.ts, roles.ts and slugs.ts: the tenant's
// records and repositories, the roles, and the slug rules. An administrator's use cases on a
// tenant's accounts are a face of their own (../administration/).

import type { ClientInfo } from "../ports.js";
import { type AdminBootstrap, type BootstrappedAdmin, bootstrapAdmin } from "./admin-bootstrap.js";
import { createTenant, type NewTenant } from "./create-tenant.js";
import type { TenantsDeps } from "./deps.js";
import { tenantAdmits } from "./gate.js";
import { releaseUnverifiedTenants } from "./pending.js";
import { getTenant, listTenants, type TenantKey, type TenantPage } from "./read-tenants.js";
import type { TenantRecord } from "./records.js";
import { type TenantChanges, updateTenant } from "./update-tenant.js";

export type { AdminBootstrap, BootstrappedAdmin } from "./admin-bootstrap.js";
export type { NewTenant } from "./create-tenant.js";
export type { TenantsDeps } from "./deps.js";
export type { TenantKey, TenantPage } from "./read-tenants.js";
export { DEFAULT_TENANT_ID, type TenantRecord, type TenantStatus } from "./records.js";
export { isOperator } from "./roles.js";
export type { TenantChanges } from "./update-tenant.js";

export interface Tenants {
  /**
   * CreateTenant: a new, active tenant. `actorId` is recorded in the audit trail (null: the command
   * line or a test). invalid_argument naming `slug` or `name`; already_exists when the slug is taken.
   */
  create(input: NewTenant, actorId: string | null, client: ClientInfo): Promise<TenantRecord>;
  /** GetTenant: by id or by slug. invalid_argument naming `tenant_id` or `slug` when empty; not_found. */
  get(key: TenantKey): Promise<TenantRecord>;
  /** ListTenants: oldest first; invalid_argument naming `page_size` or `page_token`. */
  list(request: { pageSize: number; pageToken: string }): Promise<TenantPage>;
  /**
   * UpdateTenant: renames, suspends or reactivates; suspending ends every session of the tenant's
   * users. invalid_argument naming `tenant_id`, `name` or `status` (never pending);
   * failed_precondition for the default tenant's suspension; not_found.
   */
  update(
    id: string,
    changes: TenantChanges,
    actorId: string | null,
    client: ClientInfo,
  ): Promise<TenantRecord>;
  /**
   * `authd admin create`: makes (or promotes) an administrator of a tenant, with no password, and
   * answers the single-use link token that sets one (admin-bootstrap.ts).
   */
  createAdmin(input: AdminBootstrap): Promise<BootstrappedAdmin>;
  /**
   * Releases the tenants RegisterCompany made whose first admin has not verified within
   * AUTHD_PENDING_TENANT_TTL, with their accounts (pending.ts); answers how many. A periodic job.
   */
  releaseUnverified(): Promise<number>;
  /** Whether the tenant lets its accounts in (gate.ts): a suspended tenant's API keys stop working. */
  admits(tenantId: string | null): Promise<boolean>;
}

export function createTenants(deps: TenantsDeps): Tenants {
  return {
    create: (input, actorId, client) => createTenant(deps, input, actorId, client),
    get: (key) => getTenant(deps, key),
    list: (request) => listTenants(deps, request),
    update: (id, changes, actorId, client) => updateTenant(deps, id, changes, actorId, client),
    createAdmin: (input) => bootstrapAdmin(deps, input),
    releaseUnverified: () => releaseUnverifiedTenants(deps),
    admits: (tenantId) => deps.uow.read((reads) => tenantAdmits(reads, tenantId)),
  };
}
