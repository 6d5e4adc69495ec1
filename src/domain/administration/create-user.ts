// CreateUser: an administrator makes an account in the tenant, with an invitation (a link that
// sets the password) or an initial password the owner must change. An account with an
// administering role re-authenticates the administrator (reauthentication.ts): a stolen access
// token or an `admin` API key must not plant an admin. Every refusal the request would get anyway
// (a field, a weak initial password, an address or username the tenant holds, the operator role)
// comes before the password, so it costs the administrator no guess; the taken address and
// username are checked again in the transaction that writes. A new administrator is announced to
// the tenant's administrators (admin-notices.ts).
import { newAccount } from "../accounts/new-account.js";
import type { AccountRecord } from "../accounts/persistence.js";
import { isUniqueViolation } from "../accounts/users.js";
import {
  checkLanguage,
  checkMobile,
  checkName,
  checkTimezone,
  normalizeEmail,
  normalizeUsername,
} from "../accounts/validation.js";
import { alreadyExists, invalidArgument } from "../errors.js";
import { issueToken } from "../one-time-tokens.js";
import { checkPasswordPolicy, NO_PASSWORD } from "../passwords.js";
import type { Repositories } from "../persistence.js";
import type { ClientInfo } from "../ports.js";
import { MEMBER_ROLE } from "../tenants/roles.js";
import { commit, type Transaction } from "../unit-of-work.js";
import { type AdminCaller, administeredTenant, guardOperatorRole } from "./access.js";
import { administeringRole, announceNewAdministrator } from "./admin-notices.js";
import type { AdministrationDeps } from "./deps.js";
import { type TenantUserView, viewOf } from "./user-view.js";

export interface CreateUserInput {
  /** The tenant's slug; empty: the caller's own. */
  tenant: string;
  email: string;
  username: string;
  firstName: string;
  lastName: string;
  mobile: string;
  language: string;
  timezone: string;
  /** Empty: "member". */
  roles: string[];
  credential: { kind: "invitation" } | { kind: "initial_password"; password: string } | undefined;
  /** The administrator's own password, for an account with an administering role. */
  currentPassword: string;
}

/**
 * The new account. invalid_argument naming the field (`credential` when neither is given);
 * already_exists naming `email` or `username`; permission_denied for "operator" granted by anyone
 * but an operator, or a failed re-authentication.
 */
export async function createUser(
  deps: Pick<
    AdministrationDeps,
    | "uow"
    | "clock"
    | "hasher"
    | "notices"
    | "secondFactor"
    | "roles"
    | "reauth"
    | "passwordMinLength"
    | "invitationTtlSeconds"
  >,
  caller: AdminCaller,
  input: CreateUserInput,
  client: ClientInfo,
): Promise<TenantUserView> {
  const tenantId = await administeredTenant(deps, caller, input.tenant);
  // Validate: every field before the (slow) hash of an initial password.
  const email = normalizeEmail(input.email);
  const username = normalizeUsername(input.username);
  const roles = deps.roles.check(input.roles.length === 0 ? [MEMBER_ROLE] : input.roles, tenantId, "roles");
  const credential = input.credential;
  if (!credential) throw invalidArgument("credential", "give send_invitation or initial_password");
  const profile = {
    firstName: checkName(input.firstName, "first_name"),
    lastName: checkName(input.lastName, "last_name"),
    mobile: checkMobile(input.mobile),
    language: checkLanguage(input.language),
    timezone: checkTimezone(input.timezone),
  };
  if (credential.kind === "initial_password")
    checkPasswordPolicy(credential.password, deps.passwordMinLength, { email, username }, "initial_password");
  // Load.
  await deps.uow.read((reads) => refuseTaken(reads, tenantId, email, username));
  // Check permission.
  guardOperatorRole(caller, roles, []);
  const administers = administeringRole(roles);
  if (administers)
    await deps.reauth.confirm(caller, input.currentPassword, {
      purpose: `to create an account with the "${administers}" role`,
    });
  // Write.
  const passwordHash =
    credential.kind === "initial_password" ? await deps.hasher.hash(credential.password) : NO_PASSWORD;
  const now = deps.clock.now();
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
  return deps.uow.run(async (tx) => {
    await refuseTaken(tx, tenantId, email, username);
    await insertOrExplain(tx, account);
    if (credential.kind === "invitation") {
      const { token, expiresAt } = await issueToken(
        tx,
        now,
        "reset_password",
        account.id,
        deps.invitationTtlSeconds,
      );
      await deps.notices.send(tx, { kind: "invitation", to: email, token, validForMs: expiresAt - now });
    }
    await tx.audit.record(now, "user.created", account.id, client, {
      byAdmin: caller.userId,
      roles,
      credential: credential.kind,
    });
    if (administers)
      await announceNewAdministrator(tx, deps.notices, {
        tenantId,
        account,
        role: administers,
        how: "created",
        byUserId: caller.userId,
      });
    return commit(await viewOf(deps, tx, account));
  });
}

/** already_exists naming `email` or `username` when the tenant has an account with it. */
async function refuseTaken(
  reads: Pick<Repositories, "accounts">,
  tenantId: string,
  email: string,
  username: string | null,
): Promise<void> {
  if (await reads.accounts.findByEmail(tenantId, email))
    throw alreadyExists("email: the tenant has an account with this address");
  if (username && (await reads.accounts.findByUsername(tenantId, username)))
    throw alreadyExists("username: the tenant has an account with this username");
}

async function insertOrExplain(
  tx: Transaction<Pick<Repositories, "accounts">>,
  account: AccountRecord,
): Promise<void> {
  try {
    await tx.accounts.insert(account);
  } catch (error) {
    // A concurrent create took the email or username between the lookups and the insert.
    if (isUniqueViolation(error)) throw alreadyExists("email or username: the tenant has an account with it");
    throw error;
  }
}
