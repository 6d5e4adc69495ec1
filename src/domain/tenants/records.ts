// Tenants as the domain sees them: plain records and the repository the domain declares
// (src/store/repositories/tenants.ts implements it).

/** The tenant of deployments that never name one; its id is fixed (see migration 1764000007000). */
export const DEFAULT_TENANT_ID = "00000000-0000-0000-0000-000000000000";
export const DEFAULT_TENANT_SLUG = "default";

export type TenantStatus = "active" | "suspended";

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

/** A page of tenants in creation order; `after` is the last (createdAt, id) of the previous page. */
export interface TenantPageQuery {
  limit: number;
  after: { createdAt: number; id: string } | undefined;
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

/** Events of the tenant's accounts, newest first; every set field narrows the list. */
export interface AuditQuery {
  tenantId: string;
  limit: number;
  /** Only events older than this id (the previous page's last). */
  beforeId: number | undefined;
  userId: string | undefined;
  type: string | undefined;
  /** Epoch ms, inclusive. */
  from: number | undefined;
  /** Epoch ms, exclusive. */
  to: number | undefined;
}

export interface TenantRepository {
  findById(id: string): Promise<TenantRecord | null>;
  findBySlug(slug: string): Promise<TenantRecord | null>;
  /** Inserts; false when the slug is taken (the unique index decides, so concurrent creates are safe). */
  insert(tenant: TenantRecord): Promise<boolean>;
  update(id: string, changes: Partial<Pick<TenantRecord, "name" | "status" | "updatedAt">>): Promise<void>;
  list(query: TenantPageQuery): Promise<TenantRecord[]>;
  /** Ids of the tenant's accounts, for ending their sessions. */
  userIds(tenantId: string): Promise<string[]>;
  /** Audit events of the tenant's accounts. */
  auditEvents(query: AuditQuery): Promise<AuditEventRecord[]>;
}
