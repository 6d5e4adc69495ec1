// Telling a tenant's administrators that someone became one. An administrator (or operator) can
// hand the tenant to whoever they make one, so each addition is announced to every active holder of
// either role in the tenant, the one who made it included: if their account is in someone else's
// hands, this is how they learn it. The new administrator is not told of itself.
import type { AdminAddedNotice } from "../notices.js";
import type { Repositories } from "../persistence.js";
import { ADMIN_ROLE, OPERATOR_ROLE } from "../tenants/roles.js";
import type { Transaction } from "../unit-of-work.js";

/** The roles that administer a tenant (operators administer every tenant). */
const ADMINISTERING = [ADMIN_ROLE, OPERATOR_ROLE] as const;
type Administering = (typeof ADMINISTERING)[number];

/** The administering role `roles` holds ("operator" before "admin"), if any. */
export function administeringRole(roles: readonly string[]): Administering | undefined {
  return [...ADMINISTERING].reverse().find((role) => roles.includes(role));
}

/** The administering role `after` holds and `before` did not, if any. */
export function gainedAdministeringRole(
  before: readonly string[],
  after: readonly string[],
): Administering | undefined {
  return administeringRole(after.filter((role) => !before.includes(role)));
}

export interface NewAdministrator {
  tenantId: string;
  account: { id: string; email: string };
  role: Administering;
  how: AdminAddedNotice["how"];
  /** The administrator who did it; undefined when the new one's owner did (an invitation accepted). */
  byUserId?: string | undefined;
}

/** What announcing reads: the tenant, who made the change, and the tenant's administrators. */
type AnnouncerRepositories = Pick<Repositories, "tenants" | "accounts" | "tenantUsers">;

/** Queues, in `tx`, the notice to every other active administrator of the tenant. */
export async function announceNewAdministrator<R extends AnnouncerRepositories>(
  tx: Transaction<R>,
  notices: { send(tx: Transaction<NoInfer<R>>, notice: AdminAddedNotice): Promise<void> },
  added: NewAdministrator,
): Promise<void> {
  const tenant = await tx.tenants.findById(added.tenantId);
  const by = added.byUserId === undefined ? null : await tx.accounts.findById(added.byUserId);
  for (const to of await tx.tenantUsers.activeAdministrators(added.tenantId, ADMINISTERING)) {
    if (to.id === added.account.id) continue;
    await notices.send(tx, {
      kind: "admin_added",
      to: to.email,
      tenantName: tenant?.name ?? "",
      newAdmin: added.account.email,
      role: added.role,
      how: added.how,
      by: by?.email ?? "",
    });
  }
}
