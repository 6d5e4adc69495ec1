// Tenants as the domain sees them: plain records and the repositories the domain declares
// (src/store/repositories/tenants.ts and tenant-admins.ts implement them).
import type { AccountRecord } from "../accounts/persistence.js";
import type { KeysetQuery } from "../paging.js";

/** The tenant of deployments that never name one; its id is fixed (see migration 1764000007000). */
export const DEFAULT_TENANT_ID = "00000000-0000-0000-0000-000000000000";
export const DEFAULT_TENANT_SLUG = "default";

/**
 * "pending": made by RegisterCompany, waiting for its first admin to verify their email address
 * (pending.ts); nobody signs in to it or joins it meanwhile, and one left unverified is released.
 */
export type TenantStatus = "active" | "suspended" | "pending";

export interface TenantRecord {
  id: string;
  slug: string;
  name: string;
  status: TenantStatus;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms. */
  updatedAt: number;
}

/** One recorded security event, as tenant administrators read it. */
export interface AuditEventRecord {
  id: number;
  /** Epoch ms. */
  at: number;
  type: string;
  userId: string | null;
  ip: string;
  userAgent: string;
  detail: Record<string, unknown>;
}

/**
 * Events of the tenant's accounts, newest first by (at, id); every set field narrows the list.
 * `page.createdAfter` / `createdBefore` bound `at` (both strict).
 */
export interface AuditQuery {
  tenantId: string;
  page: KeysetQuery;
  userId: string | undefined;
  type: string | undefined;
  /** Leaves out the events of accounts that hold this role now (operators', for other callers). */
  exceptHoldersOf?: string | undefined;
}

/** What ListUsers narrows by; every set field narrows the list. */
export interface UserFilter {
  /** Lower-cased. */
  emailPrefix: string | undefined;
  status: "active" | "deactivated" | undefined;
  role: string | undefined;
}

/** The accounts of one tenant, as its administrators manage them. */
export interface TenantUserRepository {
  /** One page of the tenant's accounts, in `query`'s order by (createdAt, id). */
  page(tenantId: string, filter: UserFilter, query: KeysetQuery): Promise<AccountRecord[]>;
  /**
   * Holds the tenant's row until the transaction ends, so changes that must keep an admin
   * (demote, disable, delete, an account closing itself) run one after another per tenant:
   * PostgreSQL's SELECT ... FOR UPDATE (NO KEY); SQLite runs one write transaction at a time anyway.
   *
   * The lock order: a transaction that takes a tenant's row (this lock, findByIdHeld, an update of
   * the tenant) takes it before it writes, locks or deletes any row of one of the tenant's accounts
   * (the account itself, its emailed tokens, challenges, factors, identities, sessions). Reads
   * without a lock may come first, to learn which tenant. Two transactions that need both then
   * queue at the tenant; taken the other way round, a sign-in and an administrator's change of the
   * same account would each wait for the other and PostgreSQL would abort one (a deadlock).
   */
  lock(tenantId: string): Promise<void>;
  /** Ids of the tenant's active accounts holding `role` ("admin"; "operator" in the default tenant). */
  activeIdsWithRole(tenantId: string, role: string): Promise<string[]>;
  /** The tenant's active accounts holding any of `roles`, oldest first. */
  activeAdministrators(
    tenantId: string,
    roles: readonly string[],
  ): Promise<Array<{ id: string; email: string }>>;
}

export interface TenantRepository {
  findById(id: string): Promise<TenantRecord | null>;
  findBySlug(slug: string): Promise<TenantRecord | null>;
  /**
   * The tenant, held against a concurrent change of its status until this transaction ends: a
   * suspension committing meanwhile waits, or is seen (PostgreSQL FOR SHARE; SQLite runs one write
   * transaction at a time, so a plain read is enough there). Taken in the lock order of
   * TenantUserRepository.lock: before any row of the account the transaction signs in to.
   */
  findByIdHeld(id: string): Promise<TenantRecord | null>;
  /** Inserts; false when the slug is taken (the unique index decides, so concurrent creates are safe). */
  insert(tenant: TenantRecord): Promise<boolean>;
  update(id: string, changes: Partial<Pick<TenantRecord, "name" | "status" | "updatedAt">>): Promise<void>;
  /** Makes the tenant active if it is pending, in one conditional statement; true when it was. */
  activateIfPending(id: string, now: number): Promise<boolean>;
  /** Up to `limit` pending tenants created before `cutoff` (epoch ms), oldest first. */
  pendingCreatedBefore(cutoff: number, limit: number): Promise<TenantRecord[]>;
  /** Deletes the tenant if it is still pending (its accounts must be gone); true when it was. */
  deletePending(id: string): Promise<boolean>;
  /** One page of tenants, oldest first by (createdAt, id) (see paging.ts). */
  list(query: KeysetQuery): Promise<TenantRecord[]>;
  /** Audit events of the tenant's accounts. */
  auditEvents(query: AuditQuery): Promise<AuditEventRecord[]>;
}
