// ListUserSessions and RevokeUserSessions: an administrator reads and ends a user's sessions. An
// operator's sessions are an operator's business only (as its account is: access.ts): a
// default-tenant admin would otherwise see where operators sign in from, or end their sessions.
import type { ClientInfo } from "../ports.js";
import type { SessionView } from "../sessions/index.js";
import { commit } from "../unit-of-work.js";
import { type AdminCaller, administeredTenant, guardOperatorAccount, userOfTenant } from "./access.js";
import type { AdministrationDeps } from "./deps.js";

/** Which user's sessions. */
export interface UserSessionsInput {
  /** The tenant's slug; empty: the caller's own. */
  tenant: string;
  userId: string;
}

const PAGE_SIZE = 100;

/**
 * Every active session of the user. invalid_argument naming `user_id`; not_found outside the
 * tenant; permission_denied for an operator's sessions (to anyone but an operator).
 */
export async function listUserSessions(
  deps: Pick<AdministrationDeps, "uow" | "sessions">,
  caller: AdminCaller,
  { tenant, userId }: UserSessionsInput,
): Promise<SessionView[]> {
  const tenantId = await administeredTenant(deps, caller, tenant);
  // Load, then check permission.
  const user = await deps.uow.read((reads) => userOfTenant(reads, tenantId, userId));
  guardOperatorAccount(caller, user);
  // Every page (a user has few sessions; the bound only guards a runaway loop).
  const sessions: SessionView[] = [];
  let pageToken = "";
  for (let pages = 0; pages < 100; pages++) {
    const page = await deps.sessions.listPage(userId, { pageSize: PAGE_SIZE, pageToken });
    sessions.push(...page.items);
    pageToken = page.nextPageToken;
    if (pageToken === "") break;
  }
  return sessions;
}

/**
 * Ends every session of the user; answers how many. invalid_argument naming `user_id`; not_found
 * outside the tenant; permission_denied for an operator's sessions (to anyone but an operator).
 */
export async function revokeUserSessions(
  deps: Pick<AdministrationDeps, "uow" | "clock" | "sessions">,
  caller: AdminCaller,
  { tenant, userId }: UserSessionsInput,
  client: ClientInfo,
): Promise<number> {
  const tenantId = await administeredTenant(deps, caller, tenant);
  return deps.uow.run(async (tx) => {
    // Load, then check permission.
    const user = await userOfTenant(tx, tenantId, userId);
    guardOperatorAccount(caller, user);
    // Write.
    const revoked = await deps.sessions.revokeAll(tx, user.id);
    await tx.audit.record(deps.clock.now(), "session.revoked", user.id, client, {
      all: true,
      byAdmin: caller.userId,
      revoked,
    });
    return commit(revoked);
  });
}
