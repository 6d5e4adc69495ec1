// ListAuditEvents: an administrator reads the tenant's audit trail, newest first. Operators'
// events are left out for everyone but operators (they exist in the default tenant only), as
// operators' accounts are (access.ts).
import { invalidArgument } from "../errors.js";
import { keysetQuery, toPage } from "../paging.js";
import type { AuditEventRecord } from "../tenants/records.js";
import { isOperator, OPERATOR_ROLE } from "../tenants/roles.js";
import { type AdminCaller, administeredTenant, guardOperatorAccount, userOfTenant } from "./access.js";
import type { AdministrationDeps } from "./deps.js";
import { boundList } from "./lists.js";

export interface AuditEventsInput {
  /** The tenant's slug; empty: the caller's own. */
  tenant: string;
  pageSize: number;
  pageToken: string;
  /** "" for every user's. */
  userId: string;
  /** "" for every type. */
  eventType: string;
  /** Epoch ms, inclusive; undefined for no bound. */
  from: number | undefined;
  /** Epoch ms; undefined for no bound. */
  to: number | undefined;
}

export interface AuditEventPage {
  events: AuditEventRecord[];
  /** Empty on the last page. */
  nextPageToken: string;
}

/**
 * One page of the tenant's events, narrowed by every filter given. invalid_argument naming
 * `end_time`, `page_size` or `page_token`; not_found for a user outside the tenant (not an empty
 * list); permission_denied for an operator's events (to anyone but an operator).
 */
export async function listAuditEvents(
  deps: Pick<AdministrationDeps, "uow">,
  caller: AdminCaller,
  input: AuditEventsInput,
): Promise<AuditEventPage> {
  const tenantId = await administeredTenant(deps, caller, input.tenant);
  // Validate.
  const { from, to } = input;
  if (from !== undefined && to !== undefined && from > to)
    throw invalidArgument("end_time", "must not be before start_time");
  const userId = input.userId === "" ? undefined : input.userId;
  const type = input.eventType === "" ? undefined : input.eventType;
  // Load, then check permission: another tenant's user answers not_found here too.
  if (userId !== undefined) {
    const user = await deps.uow.read((reads) => userOfTenant(reads, tenantId, userId));
    guardOperatorAccount(caller, user);
  }
  const exceptHoldersOf = isOperator(caller) ? undefined : OPERATOR_ROLE;
  // The token is bound to the list and its filters: one made for other filters is refused.
  const list = boundList("audit", [tenantId, userId ?? null, type ?? null, exceptHoldersOf ?? null]);
  const query = keysetQuery(list, {
    pageSize: input.pageSize,
    pageToken: input.pageToken,
    // start_time is inclusive, the codec's bound strict: event times are whole milliseconds.
    createdAfter: from === undefined ? undefined : from - 1,
    createdBefore: to,
  });
  const rows = await deps.uow.read((reads) =>
    reads.tenants.auditEvents({ tenantId, page: query, userId, type, exceptHoldersOf }),
  );
  const page = toPage(list, query, rows, (e) => ({ createdAt: e.at, id: String(e.id) }));
  return { events: page.items, nextPageToken: page.nextPageToken };
}
