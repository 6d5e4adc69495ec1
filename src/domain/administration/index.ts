// Administration, the face: what an administrator does to a tenant's accounts. ListUsers,
// GetUser, CreateUser, UpdateUser, SetUserPassword, DeleteUser, ListUserSessions,
// RevokeUserSessions and ListAuditEvents, each one use case in its own unit of work, audited with
// the acting administrator.
//
// Handlers reach administration only through this file (with domain/errors.ts, domain/callers.ts
// for the Caller, domain/paging.ts for Page and domain/ports.ts for ClientInfo).
//
// Every use case first resolves the tenant the caller administers (access.ts: its own, or any an
// operator names; permission_denied for anyone else), as the RPC's access rule. Then it reads top
// to bottom: validate the request, load the account, check permission (only an operator manages an
// operator or the operator role; the one re-authentication rule, reauthentication.ts, for what
// could hand over an account or the tenant: setting a password, deleting, changing roles, creating
// an administrator), and write. A refusal comes before the administrator's password, so it costs
// no guess; the checks that hold under concurrency are made again in the transaction that writes,
// with the tenant held (TenantUserRepository.lock), the last admin and the last operator among
// them (last-admin.ts).
//
// What other features call inside their own transactions is no method here: accounts' closure
// keeps the last admin and operator with last-admin.ts (keepAnAdmin, keepAnOperator), and an
// accepted invitation announces a new administrator with admin-notices.ts
// (announceNewAdministrator).
import type { Page } from "../paging.js";
import type { ClientInfo } from "../ports.js";
import type { SessionView } from "../sessions/index.js";
import type { AdminCaller } from "./access.js";
import { type AuditEventPage, type AuditEventsInput, listAuditEvents } from "./audit-events.js";
import { type CreateUserInput, createUser } from "./create-user.js";
import type { AdministrationDeps } from "./deps.js";
import { getUser, type ListUsersInput, listUsers } from "./read-users.js";
import { type UpdateUserInput, updateUser } from "./update-user.js";
import {
  type DeleteUserInput,
  deleteUser,
  type SetUserPasswordInput,
  setUserPassword,
} from "./user-credentials.js";
import { listUserSessions, revokeUserSessions, type UserSessionsInput } from "./user-sessions.js";
import type { TenantUserView } from "./user-view.js";

export type { SessionView } from "../sessions/index.js";
export type { AuditEventRecord } from "../tenants/records.js";
export type { AdminCaller } from "./access.js";
export type { AuditEventPage, AuditEventsInput } from "./audit-events.js";
export type { CreateUserInput } from "./create-user.js";
export type { AdministeredSessions, AdministrationDeps } from "./deps.js";
export type { ListUsersInput } from "./read-users.js";
export type { UpdateUserInput, UserChanges } from "./update-user.js";
export type { DeleteUserInput, SetUserPasswordInput } from "./user-credentials.js";
export type { UserSessionsInput } from "./user-sessions.js";
export type { TenantUserView } from "./user-view.js";

/**
 * An administrator's use cases on a tenant's accounts. Each names the tenant by its slug (`tenant`;
 * empty: the caller's own); each answers permission_denied to a caller who administers no such
 * tenant, and not_found for a user of another tenant, exactly as for one that does not exist.
 */
export interface Administration {
  /** ListUsers: one page, oldest first. invalid_argument naming `email_prefix`, `role`, `page_size` or `page_token`. */
  listUsers(caller: AdminCaller, input: ListUsersInput): Promise<Page<TenantUserView>>;
  /** GetUser: the account. invalid_argument naming `user_id`; not_found. */
  getUser(caller: AdminCaller, input: { tenant: string; userId: string }): Promise<TenantUserView>;
  /**
   * CreateUser: a new account with an invitation or an initial password; an administering role
   * re-authenticates the caller and is announced. invalid_argument naming the field; already_exists
   * naming `email` or `username`; permission_denied (the operator role, re-authentication).
   */
  createUser(caller: AdminCaller, input: CreateUserInput, client: ClientInfo): Promise<TenantUserView>;
  /**
   * UpdateUser: profile fields, roles (re-authenticated; the sessions end) and status (disabling
   * ends every way in). invalid_argument; not_found; already_exists naming `username`;
   * permission_denied (an operator's account or role, re-authentication); failed_precondition
   * LAST_ADMIN.
   */
  updateUser(caller: AdminCaller, input: UpdateUserInput, client: ClientInfo): Promise<TenantUserView>;
  /**
   * SetUserPassword: re-authenticated; ends the user's sessions, API keys, trusted devices and
   * pending links, and tells the user; answers how many sessions ended. invalid_argument naming
   * `new_password` or `user_id`; not_found; permission_denied.
   */
  setUserPassword(caller: AdminCaller, input: SetUserPasswordInput, client: ClientInfo): Promise<number>;
  /**
   * DeleteUser: re-authenticated; erases the account as ConfirmDeletion does. failed_precondition
   * for the caller itself and LAST_ADMIN; invalid_argument naming `user_id`; not_found;
   * permission_denied.
   */
  deleteUser(caller: AdminCaller, input: DeleteUserInput, client: ClientInfo): Promise<void>;
  /** ListUserSessions: every active session. invalid_argument naming `user_id`; not_found; permission_denied. */
  listUserSessions(caller: AdminCaller, input: UserSessionsInput): Promise<SessionView[]>;
  /** RevokeUserSessions: ends them all; answers how many. invalid_argument naming `user_id`; not_found; permission_denied. */
  revokeUserSessions(caller: AdminCaller, input: UserSessionsInput, client: ClientInfo): Promise<number>;
  /**
   * ListAuditEvents: one page of the tenant's trail, newest first (operators' events for operators
   * only). invalid_argument naming `end_time`, `page_size` or `page_token`; not_found for a user
   * outside the tenant; permission_denied.
   */
  listAuditEvents(caller: AdminCaller, input: AuditEventsInput): Promise<AuditEventPage>;
}

export function createAdministration(deps: AdministrationDeps): Administration {
  return {
    listUsers: (caller, input) => listUsers(deps, caller, input),
    getUser: (caller, input) => getUser(deps, caller, input),
    createUser: (caller, input, client) => createUser(deps, caller, input, client),
    updateUser: (caller, input, client) => updateUser(deps, caller, input, client),
    setUserPassword: (caller, input, client) => setUserPassword(deps, caller, input, client),
    deleteUser: (caller, input, client) => deleteUser(deps, caller, input, client),
    listUserSessions: (caller, input) => listUserSessions(deps, caller, input),
    revokeUserSessions: (caller, input, client) => revokeUserSessions(deps, caller, input, client),
    listAuditEvents: (caller, input) => listAuditEvents(deps, caller, input),
  };
}
