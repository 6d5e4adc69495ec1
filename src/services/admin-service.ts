// AdminService: thin handlers from proto to the Tenants and Administration faces and back.
//
// Who may call what: every RPC needs a caller, and an API key needs the "admin" scope. The tenant
// RPCs need an operator (the "operator" role in the default tenant), checked here as the scope is;
// anyone else gets PERMISSION_DENIED. The user RPCs need an admin of the tenant (or an operator),
// which the Administration face checks with the rest of each use case: the changes that could hand
// over an account re-authenticate the caller there (current_password; never an API key). An API
// key sees users' personal fields only with profile:personal, as GetCurrentUser does.
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { AdminService } from "../../gen/authd/v1/admin_pb.js";
import type { Administration } from "../domain/administration/index.js";
import type { Caller } from "../domain/callers.js";
import { permissionDenied } from "../domain/errors.js";
import { isOperator, type Tenants } from "../domain/tenants/index.js";
import { clientInfo, requireCaller } from "./caller.js";
import {
  fromCreateUserRequest,
  fromListAuditEventsRequest,
  fromListUsersRequest,
  fromUpdateUserRequest,
  toAuditEventMessage,
} from "./mapping/administration.js";
import { toSessionMessage } from "./mapping/sessions.js";
import { fromGetTenantRequest, fromTenantStatus, toTenantMessage } from "./mapping/tenants.js";
import { toUserMessage } from "./mapping/users.js";

/** The API-key scope every AdminService RPC needs. */
const ADMIN_SCOPE = "admin";

/** The caller, when it is an operator; PERMISSION_DENIED for anyone else. */
function requireOperator(ctx: HandlerContext): Caller {
  const caller = requireCaller(ctx, ADMIN_SCOPE);
  if (!isOperator(caller)) throw permissionDenied("this call needs an operator");
  return caller;
}

export function adminService(deps: {
  tenants: Tenants;
  administration: Administration;
}): ServiceImpl<typeof AdminService> {
  const { tenants, administration } = deps;
  return {
    async createTenant(req, ctx) {
      const caller = requireOperator(ctx);
      const tenant = await tenants.create({ slug: req.slug, name: req.name }, caller.userId, clientInfo(ctx));
      return { tenant: toTenantMessage(tenant) };
    },

    async getTenant(req, ctx) {
      requireOperator(ctx);
      return { tenant: toTenantMessage(await tenants.get(fromGetTenantRequest(req))) };
    },

    async listTenants(req, ctx) {
      requireOperator(ctx);
      const page = await tenants.list({ pageSize: req.pageSize, pageToken: req.pageToken });
      return { tenants: page.tenants.map(toTenantMessage), nextPageToken: page.nextPageToken };
    },

    async updateTenant(req, ctx) {
      const caller = requireOperator(ctx);
      const changes = { name: req.name, status: fromTenantStatus(req.status) };
      const tenant = await tenants.update(req.tenantId, changes, caller.userId, clientInfo(ctx));
      return { tenant: toTenantMessage(tenant) };
    },

    async listUsers(req, ctx) {
      const caller = requireCaller(ctx, ADMIN_SCOPE);
      const page = await administration.listUsers(caller, fromListUsersRequest(req));
      return { users: page.items.map((u) => toUserMessage(u, caller)), nextPageToken: page.nextPageToken };
    },

    async getUser(req, ctx) {
      const caller = requireCaller(ctx, ADMIN_SCOPE);
      const user = await administration.getUser(caller, { tenant: req.tenant, userId: req.userId });
      return { user: toUserMessage(user, caller) };
    },

    async createUser(req, ctx) {
      const caller = requireCaller(ctx, ADMIN_SCOPE);
      const user = await administration.createUser(caller, fromCreateUserRequest(req), clientInfo(ctx));
      return { user: toUserMessage(user, caller) };
    },

    async updateUser(req, ctx) {
      const caller = requireCaller(ctx, ADMIN_SCOPE);
      const user = await administration.updateUser(caller, fromUpdateUserRequest(req), clientInfo(ctx));
      return { user: toUserMessage(user, caller) };
    },

    async setUserPassword(req, ctx) {
      const caller = requireCaller(ctx, ADMIN_SCOPE);
      const setting = {
        tenant: req.tenant,
        userId: req.userId,
        newPassword: req.newPassword,
        requireChange: req.requireChange,
        currentPassword: req.currentPassword,
      };
      return { revokedSessions: await administration.setUserPassword(caller, setting, clientInfo(ctx)) };
    },

    async deleteUser(req, ctx) {
      const caller = requireCaller(ctx, ADMIN_SCOPE);
      const which = { tenant: req.tenant, userId: req.userId, currentPassword: req.currentPassword };
      await administration.deleteUser(caller, which, clientInfo(ctx));
      return {};
    },

    async listUserSessions(req, ctx) {
      const caller = requireCaller(ctx, ADMIN_SCOPE);
      const sessions = await administration.listUserSessions(caller, {
        tenant: req.tenant,
        userId: req.userId,
      });
      return { sessions: sessions.map((s) => toSessionMessage(s, undefined)) };
    },

    async revokeUserSessions(req, ctx) {
      const caller = requireCaller(ctx, ADMIN_SCOPE);
      const which = { tenant: req.tenant, userId: req.userId };
      return { revokedSessions: await administration.revokeUserSessions(caller, which, clientInfo(ctx)) };
    },

    async listAuditEvents(req, ctx) {
      const caller = requireCaller(ctx, ADMIN_SCOPE);
      const page = await administration.listAuditEvents(caller, fromListAuditEventsRequest(req));
      return { events: page.events.map(toAuditEventMessage), nextPageToken: page.nextPageToken };
    },
  };
}
