// AdminService: thin handlers from proto to the tenants domain and back.
//
// Who may call what: every RPC needs a caller, and an API key needs the "admin" scope. The tenant
// RPCs need an operator (the "operator" role in the default tenant); anyone else gets
// PERMISSION_DENIED. The user RPCs need an admin of the tenant (or an operator): TenantUserAdmin
// (sessions, audit trail) and TenantUsers (the accounts themselves). The changes that could hand
// over an account re-authenticate the caller in the domain (current_password; never an API key), and
// an API key sees users' personal fields only with profile:personal, as GetCurrentUser does.
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { AdminService, AuditEventSchema } from "../../gen/authd/v1/admin_pb.js";
import { type TenantSchema, TenantStatus, UserStatus } from "../../gen/authd/v1/common_pb.js";
import type { Caller } from "../domain/callers.js";
import { permissionDenied } from "../domain/errors.js";
import type { AuditEventRecord, TenantRecord } from "../domain/tenants/records.js";
import { isOperator } from "../domain/tenants/roles.js";
import type { TenantUsers } from "../domain/tenants/tenant-users.js";
import type { Tenants } from "../domain/tenants/tenants.js";
import type { TenantUserAdmin } from "../domain/tenants/user-admin.js";
import { clientInfo, requireCaller } from "./caller.js";
import { userSeenBy } from "./mapping/users.js";
import { sessionMessage } from "./session-service.js";

/** The API-key scope every AdminService RPC needs. */
const ADMIN_SCOPE = "admin";

const TENANT_STATUSES: Record<TenantRecord["status"], TenantStatus> = {
  active: TenantStatus.ACTIVE,
  suspended: TenantStatus.SUSPENDED,
  pending: TenantStatus.PENDING,
};

export function toTenantProto(tenant: TenantRecord): MessageInitShape<typeof TenantSchema> {
  return {
    id: tenant.id,
    slug: tenant.slug,
    name: tenant.name,
    status: TENANT_STATUSES[tenant.status],
    createTime: timestampFromMs(tenant.createdAt),
    updateTime: timestampFromMs(tenant.updatedAt),
  };
}

function auditEventMessage(event: AuditEventRecord): MessageInitShape<typeof AuditEventSchema> {
  return {
    id: String(event.id),
    time: timestampFromMs(event.at),
    type: event.type,
    userId: event.userId ?? "",
    ipAddress: event.ip,
    userAgent: event.userAgent,
    detailJson: JSON.stringify(event.detail),
  };
}

/** The caller, when it is an operator; PERMISSION_DENIED for anyone else. */
function requireOperator(ctx: HandlerContext): Caller {
  const caller = requireCaller(ctx, ADMIN_SCOPE);
  if (!isOperator(caller)) throw permissionDenied("this call needs an operator");
  return caller;
}

/** TENANT_STATUS_UNSPECIFIED: no change. PENDING is passed on for the domain to refuse by name. */
function tenantStatus(status: TenantStatus): TenantRecord["status"] | undefined {
  if (status === TenantStatus.ACTIVE) return "active";
  if (status === TenantStatus.SUSPENDED) return "suspended";
  if (status === TenantStatus.PENDING) return "pending";
  return undefined;
}

/** USER_STATUS_UNSPECIFIED: no filter / no change. */
function userStatus(status: UserStatus): "active" | "deactivated" | undefined {
  if (status === UserStatus.ACTIVE) return "active";
  if (status === UserStatus.DEACTIVATED) return "deactivated";
  return undefined;
}

export function adminService(deps: {
  tenants: Tenants;
  tenantUsers: TenantUserAdmin;
  tenantAccounts: TenantUsers;
}): ServiceImpl<typeof AdminService> {
  const { tenants, tenantUsers, tenantAccounts } = deps;
  return {
    async createTenant(req, ctx) {
      const caller = requireOperator(ctx);
      const tenant = await tenants.create({ slug: req.slug, name: req.name }, caller.userId, clientInfo(ctx));
      return { tenant: toTenantProto(tenant) };
    },

    async getTenant(req, ctx) {
      requireOperator(ctx);
      const which = req.tenant;
      const tenant =
        which.case === "slug"
          ? await tenants.getBySlug(which.value)
          : await tenants.get(which.case === "tenantId" ? which.value : "");
      return { tenant: toTenantProto(tenant) };
    },

    async listTenants(req, ctx) {
      requireOperator(ctx);
      const page = await tenants.list(req.pageSize, req.pageToken);
      return { tenants: page.tenants.map(toTenantProto), nextPageToken: page.nextPageToken };
    },

    async updateTenant(req, ctx) {
      const caller = requireOperator(ctx);
      const tenant = await tenants.update(
        req.tenantId,
        { name: req.name, status: tenantStatus(req.status) },
        caller.userId,
        clientInfo(ctx),
      );
      return { tenant: toTenantProto(tenant) };
    },

    async listUsers(req, ctx) {
      const caller = requireCaller(ctx, ADMIN_SCOPE);
      const page = await tenantAccounts.list(caller, req.tenant, {
        pageSize: req.pageSize,
        pageToken: req.pageToken,
        emailPrefix: req.emailPrefix,
        status: userStatus(req.status),
        role: req.role,
      });
      return { users: page.items.map((u) => userSeenBy(caller, u)), nextPageToken: page.nextPageToken };
    },

    async getUser(req, ctx) {
      const caller = requireCaller(ctx, ADMIN_SCOPE);
      return { user: userSeenBy(caller, await tenantAccounts.get(caller, req.tenant, req.userId)) };
    },

    async createUser(req, ctx) {
      const caller = requireCaller(ctx, ADMIN_SCOPE);
      const which = req.credential;
      const user = await tenantAccounts.create(
        caller,
        req.tenant,
        {
          email: req.email,
          username: req.username,
          firstName: req.firstName,
          lastName: req.lastName,
          mobile: req.mobile,
          language: req.language,
          timezone: req.timezone,
          roles: req.roles,
          credential:
            which.case === "initialPassword"
              ? { kind: "initial_password", password: which.value }
              : which.case === "sendInvitation" && which.value
                ? { kind: "invitation" }
                : undefined,
        },
        req.currentPassword,
        clientInfo(ctx),
      );
      return { user: userSeenBy(caller, user) };
    },

    async updateUser(req, ctx) {
      const caller = requireCaller(ctx, ADMIN_SCOPE);
      const user = await tenantAccounts.update(
        caller,
        req.tenant,
        req.userId,
        {
          firstName: req.firstName,
          lastName: req.lastName,
          username: req.username,
          mobile: req.mobile,
          language: req.language,
          timezone: req.timezone,
          roles: req.replaceRoles ? req.roles : undefined,
          status: userStatus(req.status),
        },
        req.currentPassword,
        clientInfo(ctx),
      );
      return { user: userSeenBy(caller, user) };
    },

    async setUserPassword(req, ctx) {
      const caller = requireCaller(ctx, ADMIN_SCOPE);
      const revoked = await tenantAccounts.setPassword(
        caller,
        req.tenant,
        req.userId,
        req.newPassword,
        req.requireChange,
        req.currentPassword,
        clientInfo(ctx),
      );
      return { revokedSessions: revoked };
    },

    async deleteUser(req, ctx) {
      const caller = requireCaller(ctx, ADMIN_SCOPE);
      await tenantAccounts.delete(caller, req.tenant, req.userId, req.currentPassword, clientInfo(ctx));
      return {};
    },

    async listUserSessions(req, ctx) {
      const caller = requireCaller(ctx, ADMIN_SCOPE);
      const sessions = await tenantUsers.listUserSessions(caller, req.tenant, req.userId);
      return { sessions: sessions.map((s) => sessionMessage(s, undefined)) };
    },

    async revokeUserSessions(req, ctx) {
      const caller = requireCaller(ctx, ADMIN_SCOPE);
      const revoked = await tenantUsers.revokeUserSessions(caller, req.tenant, req.userId, clientInfo(ctx));
      return { revokedSessions: revoked };
    },

    async listAuditEvents(req, ctx) {
      const caller = requireCaller(ctx, ADMIN_SCOPE);
      const page = await tenantUsers.listAuditEvents(caller, req.tenant, {
        pageSize: req.pageSize,
        pageToken: req.pageToken,
        userId: req.userId,
        type: req.eventType,
        from: req.startTime ? timestampMs(req.startTime) : undefined,
        to: req.endTime ? timestampMs(req.endTime) : undefined,
      });
      return { events: page.events.map(auditEventMessage), nextPageToken: page.nextPageToken };
    },
  };
}
