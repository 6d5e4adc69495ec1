// A tenant administrator's use cases on the tenant's accounts: list, read, create, change, set the
// password of, and delete them. Each is one transaction, audited with the acting administrator.
//
// Who may: an admin of the tenant, or an operator for any tenant (TenantUserAdmin.tenantOf). A user
// of another tenant answers not_found, exactly like one that does not exist. Only an operator may
// touch the "operator" role or an account holding it: a default-tenant admin could otherwise make
// themselves an operator, or take over one by setting its password.
//
// What could hand someone another person's account or the tenant (setting a password, deleting,
// changing roles, creating an admin) re-authenticates the administrator by the one rule
// (reauthentication.ts): a stolen access token or an `admin` API key must not plant an admin or
// take over a member. Each check that refuses comes before the password, so a refusal costs no
// guess, and is made again in the transaction that writes. A new administrator is announced to the
// tenant's administrators (admin-notices.ts).
//
// The last admin: a change that would leave the tenant with no active "admin" (demoting, disabling
// or deleting the last one), or authd with no active "operator", is refused with LAST_ADMIN. The
// check locks the tenant first (TenantUserRepository.lock; operators are all of the default
// tenant, so the tenant held is theirs), so two concurrent demotions of its last two admins (or
// of the last two operators, by each other) run one after the other and the second sees the first.
import type { Clock } from "../../clock.js";
import { newAccount } from "../accounts/new-account.js";
import type { AccountChanges, AccountRecord } from "../accounts/persistence.js";
import {
  checkLanguage,
  checkMobile,
  checkName,
  checkTimezone,
  normalizeEmail,
  normalizeUsername,
} from "../accounts/validation.js";
import { alreadyExists, invalidArgument, permissionDenied } from "../errors.js";
import type { Notices } from "../notices.js";
import { issueToken } from "../one-time-tokens.js";
import { keysetQuery, type Page, toPage } from "../paging.js";
import { checkPasswordPolicy, NO_PASSWORD, type PasswordHasher } from "../passwords.js";
import type { Repositories, TenantRepositories } from "../persistence.js";
import type { ClientInfo, SecondFactorGate } from "../ports.js";
import type { Reauthenticator } from "../reauthentication.js";
import type { ApiKeyRevoker, SessionIssuer } from "../sessions/index.js";
import { commit, type UnitOfWork } from "../unit-of-work.js";
import { administeringRole, announceNewAdministrator, gainedAdministeringRole } from "./admin-notices.js";
import type { UserFilter } from "./records.js";
import { isOperator, MEMBER_ROLE, OPERATOR_ROLE, type Roles } from "./roles.js";
import { deleteTenantUser, setTenantUserPassword } from "./tenant-user-credentials.js";
import {
  guardOperatorAccount,
  insertOrExplain,
  keepAnAdmin,
  keepAnOperator,
  sameSet,
  updateOrExplain,
  userOfTenant,
} from "./tenant-user-rules.js";
import { type AdminCaller, filterDigest, type TenantUserAdmin } from "./user-admin.js";

/** An account as its administrators see it: no credential (hash, failure count, lock). */
export type TenantUserView = Omit<AccountRecord, "passwordHash" | "failedLogins" | "lockedUntil"> & {
  mfaEnabled: boolean;
};

export interface UserListRequest {
  pageSize: number;
  pageToken: string;
  emailPrefix: string;
  status: "active" | "deactivated" | undefined;
  role: string;
}

export interface NewTenantUser {
  email: string;
  username: string;
  firstName: string;
  lastName: string;
  mobile: string;
  language: string;
  timezone: string;
  roles: string[];
  credential: { kind: "invitation" } | { kind: "initial_password"; password: string } | undefined;
}

export interface TenantUserChanges {
  firstName?: string | undefined;
  lastName?: string | undefined;
  username?: string | undefined;
  mobile?: string | undefined;
  language?: string | undefined;
  timezone?: string | undefined;
  /** The complete new set; undefined keeps the roles. */
  roles?: string[] | undefined;
  status?: "active" | "deactivated" | undefined;
}

export interface TenantUserDeps {
  uow: UnitOfWork<TenantRepositories>;
  clock: Clock;
  hasher: PasswordHasher;
  notices: Notices;
  sessions: Pick<SessionIssuer, "revokeAll">;
  /** A disabled account, or one whose password an administrator set, keeps no API key. */
  apiKeys: ApiKeyRevoker;
  secondFactor: Pick<SecondFactorGate, "isRequired" | "revokeTrustedDevices">;
  roles: Roles;
  /** Resolves the tenant the caller administers (and refuses anyone else). */
  access: Pick<TenantUserAdmin, "tenantOf">;
  /** The one re-authentication rule, for the changes that could hand over an account. */
  reauth: Reauthenticator;
  passwordMinLength: number;
  /** How long an invitation link stays valid: as long as a password reset link. */
  invitationTtlSeconds: number;
}

export class TenantUsers {
  constructor(private readonly deps: TenantUserDeps) {}

  async list(caller: AdminCaller, slug: string, request: UserListRequest): Promise<Page<TenantUserView>> {
    const tenantId = await this.deps.access.tenantOf(caller, slug);
    const prefix = request.emailPrefix.trim().toLowerCase();
    if (prefix.length > 320 || /\p{Cc}/u.test(prefix))
      throw invalidArgument("email_prefix", "is not part of an email address");
    if (request.role.length > 64) throw invalidArgument("role", "is longer than any role");
    const filter: UserFilter = {
      emailPrefix: prefix === "" ? undefined : prefix,
      status: request.status,
      role: request.role === "" ? undefined : request.role,
    };
    // The token is bound to the tenant and filters: one made for others is refused.
    const list = `users:${filterDigest([tenantId, filter.emailPrefix ?? null, filter.status ?? null, filter.role ?? null])}`;
    const query = keysetQuery(list, { pageSize: request.pageSize, pageToken: request.pageToken }, "oldest");
    return this.deps.uow.read(async (reads) => {
      const page = toPage(list, query, await reads.tenantUsers.page(tenantId, filter, query), (u) => u);
      return {
        items: await Promise.all(page.items.map((u) => this.view(reads, u))),
        nextPageToken: page.nextPageToken,
      };
    });
  }

  async get(caller: AdminCaller, slug: string, userId: string): Promise<TenantUserView> {
    const tenantId = await this.deps.access.tenantOf(caller, slug);
    return this.deps.uow.read(async (reads) => this.view(reads, await userOfTenant(reads, tenantId, userId)));
  }

  async create(
    caller: AdminCaller,
    slug: string,
    input: NewTenantUser,
    currentPassword: string,
    client: ClientInfo,
  ): Promise<TenantUserView> {
    const tenantId = await this.deps.access.tenantOf(caller, slug);
    const email = normalizeEmail(input.email);
    const username = normalizeUsername(input.username);
    const roles = this.checkRoles(
      caller,
      input.roles.length === 0 ? [MEMBER_ROLE] : input.roles,
      tenantId,
      [],
    );
    const credential = input.credential;
    if (!credential) throw invalidArgument("credential", "give send_invitation or initial_password");
    // Every field is checked before the (slow) hash of an initial password.
    const profile = {
      firstName: checkName(input.firstName, "first_name"),
      lastName: checkName(input.lastName, "last_name"),
      mobile: checkMobile(input.mobile),
      language: checkLanguage(input.language),
      timezone: checkTimezone(input.timezone),
    };
    const administers = administeringRole(roles);
    if (administers)
      await this.deps.reauth.confirm(caller, currentPassword, {
        purpose: `to create an account with the "${administers}" role`,
      });
    let passwordHash = NO_PASSWORD;
    if (credential.kind === "initial_password") {
      checkPasswordPolicy(
        credential.password,
        this.deps.passwordMinLength,
        { email, username },
        "initial_password",
      );
      passwordHash = await this.deps.hasher.hash(credential.password);
    }
    const now = this.deps.clock.now();
    const account = newAccount(now, {
      tenantId,
      email,
      // Verified once the owner follows the invitation (or reset) link.
      emailVerified: false,
      username,
      ...profile,
      roles,
      passwordHash,
      passwordChangeRequired: credential.kind === "initial_password",
    });
    return this.deps.uow.run(async (tx) => {
      if (await tx.accounts.findByEmail(tenantId, email))
        throw alreadyExists("email: the tenant has an account with this address");
      if (username && (await tx.accounts.findByUsername(tenantId, username)))
        throw alreadyExists("username: the tenant has an account with this username");
      await insertOrExplain(tx, account);
      if (credential.kind === "invitation") {
        const ttl = this.deps.invitationTtlSeconds;
        const { token, expiresAt } = await issueToken(tx, now, "reset_password", account.id, ttl);
        await this.deps.notices.send(tx, {
          kind: "invitation",
          to: email,
          token,
          validForMs: expiresAt - now,
        });
      }
      await tx.audit.record(now, "user.created", account.id, client, {
        byAdmin: caller.userId,
        roles,
        credential: credential.kind,
      });
      if (administers)
        await announceNewAdministrator(tx, this.deps.notices, {
          tenantId,
          account,
          role: administers,
          how: "created",
          byUserId: caller.userId,
        });
      return commit(await this.view(tx, account));
    });
  }

  async update(
    caller: AdminCaller,
    slug: string,
    userId: string,
    changes: TenantUserChanges,
    currentPassword: string,
    client: ClientInfo,
  ): Promise<TenantUserView> {
    const tenantId = await this.deps.access.tenantOf(caller, slug);
    const set: AccountChanges = {};
    if (changes.firstName !== undefined) set.firstName = checkName(changes.firstName, "first_name");
    if (changes.lastName !== undefined) set.lastName = checkName(changes.lastName, "last_name");
    if (changes.username !== undefined) set.username = normalizeUsername(changes.username);
    if (changes.mobile !== undefined) {
      set.mobile = checkMobile(changes.mobile);
      set.mobileVerified = false;
    }
    if (changes.language !== undefined) set.language = checkLanguage(changes.language);
    if (changes.timezone !== undefined) set.timezone = checkTimezone(changes.timezone);
    if (changes.status !== undefined) set.status = changes.status;
    if (changes.roles !== undefined) {
      const target = await this.deps.uow.read((reads) => userOfTenant(reads, tenantId, userId));
      guardOperatorAccount(caller, target);
      this.checkRoles(caller, changes.roles, tenantId, target.roles);
      await this.deps.reauth.confirm(caller, currentPassword, { purpose: "to change roles" });
    }
    const now = this.deps.clock.now();
    return this.deps.uow.run(async (tx) => {
      await tx.tenantUsers.lock(tenantId);
      const user = await userOfTenant(tx, tenantId, userId);
      guardOperatorAccount(caller, user);
      if (changes.roles !== undefined)
        set.roles = this.checkRoles(caller, changes.roles, tenantId, user.roles);
      const after = { ...user, ...set };
      await keepAnAdmin(tx, tenantId, user, after);
      await keepAnOperator(tx, user, after);
      if (
        set.username &&
        set.username !== user.username &&
        (await tx.accounts.findByUsername(tenantId, set.username))
      )
        throw alreadyExists("username: the tenant has an account with this username");
      await updateOrExplain(tx, user.id, { ...set, updatedAt: now });
      const disabled = user.status === "active" && after.status === "deactivated";
      const rolesChanged = set.roles !== undefined && !sameSet(set.roles, user.roles);
      let revokedSessions = 0;
      // New tokens must carry the new roles; a disabled account keeps no way in.
      if (disabled || rolesChanged) revokedSessions = await this.deps.sessions.revokeAll(tx, user.id);
      if (disabled) {
        await this.deps.apiKeys.revokeAll(tx, user.id);
        await this.deps.secondFactor.revokeTrustedDevices(tx, user.id);
        await tx.accountData.voidPendingSignIns(user.id, now);
      }
      await tx.audit.record(now, "user.updated", user.id, client, {
        byAdmin: caller.userId,
        fields: Object.keys(set),
        ...(rolesChanged ? { roles: set.roles } : {}),
        ...(set.status !== undefined ? { status: set.status } : {}),
        revokedSessions,
      });
      const granted = gainedAdministeringRole(user.roles, after.roles);
      if (granted)
        await announceNewAdministrator(tx, this.deps.notices, {
          tenantId,
          account: user,
          role: granted,
          how: "granted",
          byUserId: caller.userId,
        });
      return commit(await this.view(tx, { ...after, updatedAt: now }));
    });
  }

  /** Sets a user's password; answers how many of its sessions ended (tenant-user-credentials.ts). */
  setPassword(
    caller: AdminCaller,
    slug: string,
    userId: string,
    password: string,
    requireChange: boolean,
    currentPassword: string,
    client: ClientInfo,
  ): Promise<number> {
    const change = { userId, password, requireChange, currentPassword };
    return setTenantUserPassword(this.deps, caller, slug, change, client);
  }

  /** Erases the account as ConfirmDeletion does; the caller cannot delete itself (tenant-user-credentials.ts). */
  delete(
    caller: AdminCaller,
    slug: string,
    userId: string,
    currentPassword: string,
    client: ClientInfo,
  ): Promise<void> {
    return deleteTenantUser(this.deps, caller, slug, { userId, currentPassword }, client);
  }

  /** Checks `roles` for the tenant; only an operator may grant or remove "operator". */
  private checkRoles(caller: AdminCaller, roles: string[], tenantId: string, held: string[]): string[] {
    const checked = this.deps.roles.check(roles, tenantId, "roles");
    const touchesOperator = checked.includes(OPERATOR_ROLE) !== held.includes(OPERATOR_ROLE);
    if (touchesOperator && !isOperator(caller))
      throw permissionDenied('only an operator grants or removes "operator"');
    return checked;
  }

  private async view(reads: Pick<Repositories, "mfa">, account: AccountRecord): Promise<TenantUserView> {
    const { passwordHash: _hash, failedLogins: _failures, lockedUntil: _lock, ...view } = account;
    return {
      ...view,
      passwordChangeRequired: account.passwordChangeRequired ?? false,
      mfaEnabled: await this.deps.secondFactor.isRequired(reads, account.id, undefined),
    };
  }
}
