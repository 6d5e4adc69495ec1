// ListUsers and GetUser: an administrator reads the tenant's accounts. Reads only, outside any
// transaction.
import { invalidArgument } from "../errors.js";
import { keysetQuery, type Page, toPage } from "../paging.js";
import type { UserFilter } from "../tenants/records.js";
import { type AdminCaller, administeredTenant, userOfTenant } from "./access.js";
import type { AdministrationDeps } from "./deps.js";
import { boundList } from "./lists.js";
import { type TenantUserView, viewOf } from "./user-view.js";

export interface ListUsersInput {
  /** The tenant's slug; empty: the caller's own. */
  tenant: string;
  pageSize: number;
  pageToken: string;
  emailPrefix: string;
  status: "active" | "deactivated" | undefined;
  /** "" for any. */
  role: string;
}

/** One page of the tenant's accounts, oldest first, narrowed by every filter given. */
export async function listUsers(
  deps: Pick<AdministrationDeps, "uow" | "secondFactor">,
  caller: AdminCaller,
  input: ListUsersInput,
): Promise<Page<TenantUserView>> {
  const tenantId = await administeredTenant(deps, caller, input.tenant);
  // Validate.
  const prefix = input.emailPrefix.trim().toLowerCase();
  if (prefix.length > 320 || /\p{Cc}/u.test(prefix))
    throw invalidArgument("email_prefix", "is not part of an email address");
  if (input.role.length > 64) throw invalidArgument("role", "is longer than any role");
  const filter: UserFilter = {
    emailPrefix: prefix === "" ? undefined : prefix,
    status: input.status,
    role: input.role === "" ? undefined : input.role,
  };
  // The token is bound to the tenant and filters: one made for others is refused.
  const list = boundList("users", [
    tenantId,
    filter.emailPrefix ?? null,
    filter.status ?? null,
    filter.role ?? null,
  ]);
  const query = keysetQuery(list, { pageSize: input.pageSize, pageToken: input.pageToken }, "oldest");
  // Load.
  return deps.uow.read(async (reads) => {
    const page = toPage(list, query, await reads.tenantUsers.page(tenantId, filter, query), (u) => u);
    return {
      items: await Promise.all(page.items.map((u) => viewOf(deps, reads, u))),
      nextPageToken: page.nextPageToken,
    };
  });
}

/** The account; invalid_argument naming `user_id` when empty, not_found outside the tenant. */
export async function getUser(
  deps: Pick<AdministrationDeps, "uow" | "secondFactor">,
  caller: AdminCaller,
  input: { tenant: string; userId: string },
): Promise<TenantUserView> {
  const tenantId = await administeredTenant(deps, caller, input.tenant);
  return deps.uow.read(async (reads) =>
    viewOf(deps, reads, await userOfTenant(reads, tenantId, input.userId)),
  );
}
