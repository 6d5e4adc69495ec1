// Which tenant a public request names. Every public RPC that names an account carries a `tenant`
// slug (empty = the default tenant) and looks the account up in that tenant only: the same email
// may be two accounts in two tenants. Slugs are public (companies hand them out), so saying that a
// slug is unknown reveals nothing about accounts; RPCs that never reveal accounts still answer an
// unknown tenant exactly like an unknown account, so there is one answer to learn.
import { invalidArgument } from "../errors.js";
import type { Repositories } from "../persistence.js";
import { DEFAULT_TENANT_ID, type TenantRecord } from "./records.js";
import { hasSlugShape } from "./slugs.js";

/**
 * The tenant a request's `tenant` field names, or null when none has that slug. Empty means the
 * default tenant; case and surrounding spaces do not matter. A value that cannot be a slug (too
 * long, control characters) is simply unknown.
 */
export async function tenantNamed(
  reads: Pick<Repositories, "tenants">,
  slug: string,
): Promise<TenantRecord | null> {
  // People type slugs into sign-in forms: "Acme " is "acme".
  const normalized = slug.trim().toLowerCase();
  if (normalized === "") return reads.tenants.findById(DEFAULT_TENANT_ID);
  if (!hasSlugShape(normalized)) return null;
  return reads.tenants.findBySlug(normalized);
}

/**
 * For RPCs that may say so (Register, CheckEmail): the active tenant named, or invalid_argument
 * naming `tenant`. Nobody joins a pending tenant: it is its first admin's until they verify.
 */
export async function requireActiveTenant(
  reads: Pick<Repositories, "tenants">,
  slug: string,
): Promise<TenantRecord> {
  const tenant = await tenantNamed(reads, slug);
  if (!tenant) throw invalidArgument("tenant", "no such tenant");
  if (tenant.status === "pending")
    throw invalidArgument(
      "tenant",
      "the tenant is not active yet: its first admin has not verified their email",
    );
  if (tenant.status !== "active") throw invalidArgument("tenant", "the tenant is suspended");
  return tenant;
}

/**
 * For RPCs that answer the same whether or not the account exists (ResendVerificationEmail,
 * RequestPasswordReset): the id of the tenant named when its accounts may be mailed, or null, which
 * such an RPC treats as "no such account". A pending tenant's may: its first admin may need the
 * verification link again (or a reset link, which verifies the address too) to activate it.
 */
export async function mailableTenantId(
  reads: Pick<Repositories, "tenants">,
  slug: string,
): Promise<string | null> {
  const tenant = await tenantNamed(reads, slug);
  return tenant?.status === "active" || tenant?.status === "pending" ? tenant.id : null;
}
