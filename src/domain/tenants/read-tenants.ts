// GetTenant and ListTenants: an operator reads companies. Reads only, outside any transaction.
import { invalidArgument, notFound } from "../errors.js";
import { keysetQuery, toPage } from "../paging.js";
import type { TenantsDeps } from "./deps.js";
import type { TenantRecord } from "./records.js";

/** Which tenant GetTenant names: by id, or by slug. */
export type TenantKey = { id: string } | { slug: string };

export interface TenantPage {
  tenants: TenantRecord[];
  /** Empty on the last page. */
  nextPageToken: string;
}

/** The tenant; invalid_argument naming `tenant_id` or `slug` when empty, not_found when none is. */
export async function getTenant(deps: Pick<TenantsDeps, "uow">, key: TenantKey): Promise<TenantRecord> {
  // Validate.
  if ("slug" in key && key.slug === "") throw invalidArgument("slug", "is required");
  if ("id" in key && key.id === "") throw invalidArgument("tenant_id", "is required");
  // Load.
  const tenant = await deps.uow.read((reads) =>
    "slug" in key ? reads.tenants.findBySlug(key.slug) : reads.tenants.findById(key.id),
  );
  if (!tenant) throw notFound("no such tenant");
  return tenant;
}

/** One page of tenants, oldest first, paged with the shared codec (paging.ts). */
export async function listTenants(
  deps: Pick<TenantsDeps, "uow">,
  request: { pageSize: number; pageToken: string },
): Promise<TenantPage> {
  const query = keysetQuery("tenants", request, "oldest");
  const rows = await deps.uow.read((reads) => reads.tenants.list(query));
  const page = toPage("tenants", query, rows, (t) => t);
  return { tenants: page.items, nextPageToken: page.nextPageToken };
}
