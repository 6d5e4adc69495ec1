// Tenants: create, read, list and change companies, and release the pending ones nobody verified
// (pending.ts). Each method is one use case in its own transaction. Suspending a tenant ends every
// session of its users through the session issuer, so the session cache forgets them at once
// (sessions.ts), and sign-in refuses them (gate.ts).
import { randomUUID } from "node:crypto";
import type { Clock } from "../../clock.js";
import { normalizeEmail } from "../accounts/validation.js";
import { alreadyExists, failedPrecondition, invalidArgument, notFound } from "../errors.js";
import { keysetQuery, toPage } from "../paging.js";
import type { TenantRepositories } from "../persistence.js";
import type { ClientInfo } from "../ports.js";
import type { SessionIssuer } from "../sessions/index.js";
import { commit, type UnitOfWork } from "../unit-of-work.js";
import { type BootstrappedAdmin, bootstrapAdmin } from "./admin-bootstrap.js";
import { tenantAdmits } from "./gate.js";
import { releaseUnverifiedTenants } from "./pending.js";
import { DEFAULT_TENANT_ID, type TenantRecord, type TenantStatus } from "./records.js";
import { checkSlug, checkTenantName } from "./slugs.js";

export interface TenantPage {
  tenants: TenantRecord[];
  /** Empty on the last page. */
  nextPageToken: string;
}

export interface TenantChanges {
  name?: string;
  status?: TenantStatus;
}

/** AUTHD_PENDING_TENANT_TTL, and AUTHD_PASSWORD_RESET_TTL for the link `authd admin create` prints. */
export interface TenantSettings {
  pendingTenantTtlSeconds: number;
  passwordResetTtlSeconds: number;
}

export class Tenants {
  constructor(
    private readonly uow: UnitOfWork<TenantRepositories>,
    private readonly clock: Clock,
    private readonly sessions: Pick<SessionIssuer, "revokeAll" | "revokeAllOfTenant">,
    private readonly settings: TenantSettings,
  ) {}

  /** Whether the tenant lets its accounts in (gate.ts): a suspended tenant's API keys stop working. */
  admits(tenantId: string | null): Promise<boolean> {
    return this.uow.read((reads) => tenantAdmits(reads, tenantId));
  }

  /** `authd admin create`: makes (or promotes) an administrator of a tenant (admin-bootstrap.ts). */
  createAdmin(input: { tenantSlug: string; email: string; operator: boolean }): Promise<BootstrappedAdmin> {
    const deps = {
      uow: this.uow,
      clock: this.clock,
      sessions: this.sessions,
      normalizeEmail,
      passwordTokenTtlSeconds: this.settings.passwordResetTtlSeconds,
    };
    return bootstrapAdmin(deps, input);
  }

  async create(
    input: { slug: string; name: string },
    actorId: string | null,
    client: ClientInfo,
  ): Promise<TenantRecord> {
    const slug = checkSlug(input.slug, "slug");
    const name = checkTenantName(input.name, "name");
    const now = this.clock.now();
    const tenant: TenantRecord = {
      id: randomUUID(),
      slug,
      name,
      status: "active",
      createdAt: now,
      updatedAt: now,
    };
    return this.uow.run(async (tx) => {
      if (!(await tx.tenants.insert(tenant))) throw alreadyExists(`the slug "${slug}" is taken`);
      await tx.audit.record(now, "tenant.created", actorId, client, { tenantId: tenant.id, slug });
      return commit(tenant);
    });
  }

  async get(id: string): Promise<TenantRecord> {
    if (id === "") throw invalidArgument("tenant_id", "is required");
    const tenant = await this.uow.read((reads) => reads.tenants.findById(id));
    if (!tenant) throw notFound("no such tenant");
    return tenant;
  }

  async getBySlug(slug: string): Promise<TenantRecord> {
    if (slug === "") throw invalidArgument("slug", "is required");
    const tenant = await this.uow.read((reads) => reads.tenants.findBySlug(slug));
    if (!tenant) throw notFound("no such tenant");
    return tenant;
  }

  /** Oldest first, paged with the shared codec (paging.ts). */
  async list(pageSize: number, pageToken: string): Promise<TenantPage> {
    const query = keysetQuery("tenants", { pageSize, pageToken }, "oldest");
    const rows = await this.uow.read((reads) => reads.tenants.list(query));
    const page = toPage("tenants", query, rows, (t) => t);
    return { tenants: page.items, nextPageToken: page.nextPageToken };
  }

  /** Changes name and/or status; suspending ends every session of the tenant's users. */
  async update(
    id: string,
    changes: TenantChanges,
    actorId: string | null,
    client: ClientInfo,
  ): Promise<TenantRecord> {
    if (id === "") throw invalidArgument("tenant_id", "is required");
    const name = changes.name === undefined ? undefined : checkTenantName(changes.name, "name");
    if (changes.status === "pending") {
      // Pending means "its first admin has not verified yet" (RegisterCompany); nobody can undo that.
      throw invalidArgument("status", "a tenant cannot be made pending: set it active or suspended");
    }
    if (changes.status === "suspended" && id === DEFAULT_TENANT_ID) {
      throw failedPrecondition("the default tenant cannot be suspended");
    }
    const now = this.clock.now();
    return this.uow.run(async (tx) => {
      const tenant = await tx.tenants.findById(id);
      if (!tenant) throw notFound("no such tenant");
      const updated: TenantRecord = {
        ...tenant,
        name: name ?? tenant.name,
        status: changes.status ?? tenant.status,
        updatedAt: now,
      };
      await tx.tenants.update(id, { name: updated.name, status: updated.status, updatedAt: now });
      const revokedSessions =
        updated.status === "suspended" && tenant.status !== "suspended"
          ? await this.sessions.revokeAllOfTenant(tx, id)
          : 0;
      await tx.audit.record(now, "tenant.updated", actorId, client, {
        tenantId: id,
        ...(name !== undefined ? { name } : {}),
        ...(changes.status !== undefined ? { status: changes.status } : {}),
        revokedSessions,
      });
      return commit(updated);
    });
  }

  /**
   * Releases the tenants RegisterCompany made whose first admin has not verified within
   * AUTHD_PENDING_TENANT_TTL (pending.ts); answers how many. Run by the periodic purge (app.ts).
   */
  releaseUnverified(): Promise<number> {
    return releaseUnverifiedTenants({
      uow: this.uow,
      clock: this.clock,
      ttlSeconds: this.settings.pendingTenantTtlSeconds,
    });
  }
}
