// Tenants that RegisterCompany makes are pending until their first admin proves their address:
// nobody signs in to a pending tenant or joins it (login.ts, scope.ts, gate.ts), but its slug is
// held. Following the verification link (or a password reset link, which verifies the address too)
// activates it in the same transaction. One left unverified for AUTHD_PENDING_TENANT_TTL is released:
// deleted with its unverified accounts, so that sign-ups nobody finishes cannot squat slugs.
import type { AccountRecord } from "../accounts/persistence.js";
import { voidTokens } from "../one-time-tokens.js";
import type { Position } from "../paging.js";
import type { Repositories, TenantRepositories } from "../persistence.js";
import type { ClientInfo } from "../ports.js";
import { commit, type Transaction } from "../unit-of-work.js";
import type { TenantsDeps } from "./deps.js";
import { ADMIN_ROLE } from "./roles.js";

/**
 * Activates the account's tenant when it is pending and the account, whose address was just
 * verified, is one of its admins. One conditional statement: any other tenant is left untouched.
 */
export async function activateForVerifiedAdmin(
  tx: Transaction<Pick<Repositories, "tenants" | "audit">>,
  user: Pick<AccountRecord, "id" | "tenantId" | "roles">,
  now: number,
  client: ClientInfo,
): Promise<void> {
  if (!user.roles.includes(ADMIN_ROLE)) return;
  if (await tx.tenants.activateIfPending(user.tenantId, now))
    await tx.audit.record(now, "tenant.activated", user.id, client, { tenantId: user.tenantId });
}

/**
 * Takes the account's tenant when it is pending, before a link of the account is spent and the
 * account written (VerifyEmail, ResetPassword), since following the link may then activate it:
 * the lock order of TenantUserRepository.lock (the tenant before any row of its accounts). Any
 * other tenant is only read: a tenant never becomes pending again.
 */
export async function holdTenantToActivate(
  tx: Transaction<Pick<Repositories, "users" | "tenants" | "tenantUsers">>,
  userId: string,
): Promise<void> {
  const user = await tx.users.findById(userId);
  const tenant = user?.tenantId ? await tx.tenants.findById(user.tenantId) : null;
  if (tenant?.status === "pending") await tx.tenantUsers.lock(tenant.id);
}

/** Tenants released per run; the rest wait for the next run of the purge. */
const BATCH = 100;
const NO_FILTER = { emailPrefix: undefined, status: undefined, role: undefined };
const NO_CLIENT: ClientInfo = { ip: "", rateLimitKey: "", userAgent: "" };

/** Thrown inside a release to roll it back: the tenant changed since it was found due. */
class NotReleased extends Error {}

/**
 * Releases the tenants pending for longer than AUTHD_PENDING_TENANT_TTL; answers how many. A tenant
 * holding a verified account (an operator's doing) is left for an operator to activate or suspend.
 */
export async function releaseUnverifiedTenants(
  deps: Pick<TenantsDeps, "uow" | "clock" | "pendingTenantTtlSeconds">,
): Promise<number> {
  const now = deps.clock.now();
  const cutoff = now - deps.pendingTenantTtlSeconds * 1000;
  const due = await deps.uow.read((reads) => reads.tenants.pendingCreatedBefore(cutoff, BATCH));
  let released = 0;
  for (const { id } of due) {
    const done = await deps.uow
      .run(async (tx) => commit(await release(tx, id, cutoff, now)))
      .catch((error: unknown) => {
        if (error instanceof NotReleased) return false;
        throw error;
      });
    if (done) released++;
  }
  return released;
}

async function release(
  tx: Transaction<TenantRepositories>,
  tenantId: string,
  cutoff: number,
  now: number,
): Promise<true> {
  // The tenant first, then its accounts' rows (the lock order of TenantUserRepository.lock). A link
  // being followed (VerifyEmail, ResetPassword) takes a pending tenant before it spends its token
  // (holdTenantToActivate), so it runs wholly before this release, which then leaves the active
  // tenant alone, or wholly after it, and finds its token spent.
  await tx.tenantUsers.lock(tenantId);
  const accounts = await accountsOf(tx, tenantId);
  for (const account of accounts) await voidTokens(tx, now, account.id);
  // Read again once held: a verification or an operator's change that committed meanwhile shows now.
  const tenant = await tx.tenants.findById(tenantId);
  if (tenant?.status !== "pending" || tenant.createdAt >= cutoff) throw new NotReleased();
  const current = await accountsOf(tx, tenantId);
  const known = new Set(accounts.map((a) => a.id));
  if (current.some((a) => a.emailVerified || !known.has(a.id))) throw new NotReleased();
  for (const account of current) {
    await tx.accountData.erase(account);
    await tx.accountData.forgetRequestOrigins(account.id);
  }
  if (!(await tx.tenants.deletePending(tenantId))) throw new NotReleased();
  await tx.audit.record(now, "tenant.released", null, NO_CLIENT, {
    tenantId,
    slug: tenant.slug,
    accounts: current.length,
  });
  return true;
}

async function accountsOf(
  reads: Pick<Repositories, "tenantUsers">,
  tenantId: string,
): Promise<AccountRecord[]> {
  const all: AccountRecord[] = [];
  let after: Position | undefined;
  for (;;) {
    const page = await reads.tenantUsers.page(tenantId, NO_FILTER, { limit: BATCH, order: "oldest", after });
    all.push(...page);
    const last = page[page.length - 1];
    if (page.length < BATCH || !last) return all;
    after = { createdAt: last.createdAt, id: last.id };
  }
}
