// CreateTenant: an operator adds a company. The tenant is active at once (RegisterCompany's are
// pending until their first admin verifies: company-registration.ts); its administrators are
// created with CreateUser or `authd admin create`.
import { randomUUID } from "node:crypto";
import { alreadyExists } from "../errors.js";
import type { ClientInfo } from "../ports.js";
import { commit } from "../unit-of-work.js";
import type { TenantsDeps } from "./deps.js";
import type { TenantRecord } from "./records.js";
import { checkSlug, checkTenantName } from "./slugs.js";

export interface NewTenant {
  slug: string;
  name: string;
}

/** The new tenant; invalid_argument naming `slug` or `name`, already_exists when the slug is taken. */
export async function createTenant(
  deps: Pick<TenantsDeps, "uow" | "clock">,
  input: NewTenant,
  actorId: string | null,
  client: ClientInfo,
): Promise<TenantRecord> {
  // Validate.
  const slug = checkSlug(input.slug, "slug");
  const name = checkTenantName(input.name, "name");
  const now = deps.clock.now();
  const tenant: TenantRecord = {
    id: randomUUID(),
    slug,
    name,
    status: "active",
    createdAt: now,
    updatedAt: now,
  };
  // Write: the slug's unique index decides, so two concurrent creates cannot both take it.
  return deps.uow.run(async (tx) => {
    if (!(await tx.tenants.insert(tenant))) throw alreadyExists(`the slug "${slug}" is taken`);
    await tx.audit.record(now, "tenant.created", actorId, client, { tenantId: tenant.id, slug });
    return commit(tenant);
  });
}
