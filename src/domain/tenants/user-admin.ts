// What a tenant administrator does to the tenant's users that needs no account code: their
// sessions and the tenant's audit trail. Every method resolves the tenant from the caller (an
// operator may name another) and answers not_found for a user of another tenant, exactly as for
// one that does not exist. An operator's sessions and events are an operator's business only
// (as its account is: tenant-user-rules.ts): a default-tenant admin would otherwise see where
// operators sign in from, or end their sessions.
import { createHash } from "node:crypto";
import type { Clock } from "../../clock.js";
import { invalidArgument, notFound, permissionDenied } from "../errors.js";
import { keysetQuery, type Page, type PageRequest, toPage } from "../paging.js";
import type { Repositories, TenantRepositories, UserRecord } from "../persistence.js";
import type { ClientInfo } from "../ports.js";
import type { SessionIssuer, SessionView } from "../sessions/index.js";
import { commit, type UnitOfWork } from "../unit-of-work.js";
import { type AuditEventRecord, DEFAULT_TENANT_ID } from "./records.js";
import { ADMIN_ROLE, isOperator, OPERATOR_ROLE } from "./roles.js";
import { guardOperatorAccount } from "./tenant-user-rules.js";

export interface AdminCaller {
  userId: string;
  /** The caller's session; undefined for an API key (which cannot re-authenticate). */
  sessionId: string | undefined;
  tenantId: string | undefined;
  roles: readonly string[];
}

export interface AuditFilter {
  pageSize: number;
  pageToken: string;
  userId: string;
  type: string;
  /** Epoch ms; undefined for no bound. */
  from: number | undefined;
  to: number | undefined;
}

const MAX_PAGE_SIZE = 100;

export class TenantUserAdmin {
  constructor(
    private readonly uow: UnitOfWork<TenantRepositories>,
    private readonly clock: Clock,
    private readonly sessions: Pick<SessionIssuer, "revokeAll"> & {
      listPage(userId: string, request: PageRequest): Promise<Page<SessionView>>;
    },
  ) {}

  /**
   * The tenant the caller administers here: its own, or (operators only) the one `slug` names.
   * permission_denied unless the caller is an admin of it or an operator.
   */
  async tenantOf(caller: AdminCaller, slug: string): Promise<string> {
    const own = caller.tenantId ?? DEFAULT_TENANT_ID;
    const operator = isOperator(caller);
    if (!operator && !caller.roles.includes(ADMIN_ROLE))
      throw permissionDenied("this call needs a tenant admin");
    if (slug === "") return own;
    const tenant = await this.uow.read((reads) => reads.tenants.findBySlug(slug));
    if (tenant?.id === own) return own;
    // Only operators may learn whether another slug exists.
    if (!operator) throw permissionDenied("a tenant admin manages only its own tenant");
    if (!tenant) throw notFound("no such tenant");
    return tenant.id;
  }

  async listUserSessions(caller: AdminCaller, slug: string, userId: string): Promise<SessionView[]> {
    const tenantId = await this.tenantOf(caller, slug);
    await this.uow.read(async (reads) =>
      guardOperatorAccount(caller, await userOfTenant(reads, tenantId, userId)),
    );
    // Every active session, page by page (a user has few; the bound only guards a runaway loop).
    const sessions: SessionView[] = [];
    let pageToken = "";
    for (let pages = 0; pages < 100; pages++) {
      const page = await this.sessions.listPage(userId, { pageSize: MAX_PAGE_SIZE, pageToken });
      sessions.push(...page.items);
      pageToken = page.nextPageToken;
      if (pageToken === "") break;
    }
    return sessions;
  }

  async revokeUserSessions(
    caller: AdminCaller,
    slug: string,
    userId: string,
    client: ClientInfo,
  ): Promise<number> {
    const tenantId = await this.tenantOf(caller, slug);
    return this.uow.run(async (tx) => {
      guardOperatorAccount(caller, await userOfTenant(tx, tenantId, userId));
      const revoked = await this.sessions.revokeAll(tx, userId);
      await tx.audit.record(this.clock.now(), "session.revoked", userId, client, {
        all: true,
        byAdmin: caller.userId,
        revoked,
      });
      return commit(revoked);
    });
  }

  async listAuditEvents(
    caller: AdminCaller,
    slug: string,
    filter: AuditFilter,
  ): Promise<{ events: AuditEventRecord[]; nextPageToken: string }> {
    const tenantId = await this.tenantOf(caller, slug);
    if (filter.from !== undefined && filter.to !== undefined && filter.from > filter.to) {
      throw invalidArgument("end_time", "must not be before start_time");
    }
    const userId = filter.userId === "" ? undefined : filter.userId;
    const type = filter.type === "" ? undefined : filter.type;
    // Another tenant's user answers not_found here too, not an empty list.
    if (userId !== undefined)
      await this.uow.read(async (reads) =>
        guardOperatorAccount(caller, await userOfTenant(reads, tenantId, userId)),
      );
    // Operators' events are left out for everyone else (they exist in the default tenant only).
    const exceptHoldersOf = isOperator(caller) ? undefined : OPERATOR_ROLE;
    // The token is bound to the list and its filters: one made for other filters is refused.
    const list = `audit:${filterDigest([tenantId, userId ?? null, type ?? null, exceptHoldersOf ?? null])}`;
    const query = keysetQuery(list, {
      pageSize: filter.pageSize,
      pageToken: filter.pageToken,
      // start_time is inclusive, the codec's bound strict: event times are whole milliseconds.
      createdAfter: filter.from === undefined ? undefined : filter.from - 1,
      createdBefore: filter.to,
    });
    const rows = await this.uow.read((reads) =>
      reads.tenants.auditEvents({ tenantId, page: query, userId, type, exceptHoldersOf }),
    );
    const page = toPage(list, query, rows, (e) => ({ createdAt: e.at, id: String(e.id) }));
    return { events: page.items, nextPageToken: page.nextPageToken };
  }
}

/** The user, when it belongs to the tenant; not_found otherwise (another tenant's user included). */
async function userOfTenant(
  reads: Pick<Repositories, "users">,
  tenantId: string,
  userId: string,
): Promise<UserRecord> {
  if (userId === "") throw invalidArgument("user_id", "is required");
  const user = await reads.users.findById(userId);
  if (!user || (user.tenantId ?? DEFAULT_TENANT_ID) !== tenantId) throw notFound("no such user");
  return user;
}

/** A short digest of a list's filters, to bind its page tokens to them. */
export function filterDigest(values: unknown[]): string {
  return createHash("sha256").update(JSON.stringify(values)).digest("base64url").slice(0, 16);
}
