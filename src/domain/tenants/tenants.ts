// Tenants: create, read, list and change companies. Each method is one use case in its own
// transaction. Suspending a tenant ends every session of its users through the session issuer, so
// the session cache forgets them at once (sessions.ts), and sign-in refuses them (gate.ts).
import { randomUUID } from "node:crypto";
import type { Clock } from "../../clock.js";
import { alreadyExists, failedPrecondition, invalidArgument, notFound } from "../errors.js";
import type { ClientInfo, SessionIssuer } from "../ports.js";
import { commit, type UnitOfWork } from "../unit-of-work.js";
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

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 100;

export class Tenants {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
    private readonly sessions: Pick<SessionIssuer, "revokeAll">,
  ) {}

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
    const tenant = await this.uow.read((tx) => tx.tenants.findById(id));
    if (!tenant) throw notFound("no such tenant");
    return tenant;
  }

  async getBySlug(slug: string): Promise<TenantRecord> {
    if (slug === "") throw invalidArgument("slug", "is required");
    const tenant = await this.uow.read((tx) => tx.tenants.findBySlug(slug));
    if (!tenant) throw notFound("no such tenant");
    return tenant;
  }

  async list(pageSize: number, pageToken: string): Promise<TenantPage> {
    if (!Number.isInteger(pageSize) || pageSize < 0 || pageSize > MAX_PAGE_SIZE) {
      throw invalidArgument("page_size", `must be 0 to ${MAX_PAGE_SIZE}`);
    }
    const limit = pageSize === 0 ? DEFAULT_PAGE_SIZE : pageSize;
    const after = pageToken === "" ? undefined : decodePageToken(pageToken);
    // One more than asked tells whether another page follows.
    const rows = await this.uow.read((tx) => tx.tenants.list({ limit: limit + 1, after }));
    const tenants = rows.slice(0, limit);
    const last = tenants.at(-1);
    return {
      tenants,
      nextPageToken: rows.length > limit && last ? encodePageToken(last) : "",
    };
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
      let revokedSessions = 0;
      if (updated.status === "suspended" && tenant.status !== "suspended") {
        for (const userId of await tx.tenants.userIds(id)) {
          revokedSessions += await this.sessions.revokeAll(tx, userId);
        }
      }
      await tx.audit.record(now, "tenant.updated", actorId, client, {
        tenantId: id,
        ...(name !== undefined ? { name } : {}),
        ...(changes.status !== undefined ? { status: changes.status } : {}),
        revokedSessions,
      });
      return commit(updated);
    });
  }
}

function encodePageToken(last: TenantRecord): string {
  return Buffer.from(JSON.stringify([last.createdAt, last.id])).toString("base64url");
}

function decodePageToken(token: string): { createdAt: number; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (Number.isSafeInteger(createdAt) && typeof id === "string" && id.length <= 36)
      return { createdAt, id };
  } catch {
    // Answered below.
  }
  throw invalidArgument("page_token", "is not a token from a previous page");
}
