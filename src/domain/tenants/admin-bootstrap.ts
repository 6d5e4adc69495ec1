// `authd admin create`: makes (or promotes) a tenant administrator from the command line, with no
// default password anywhere: the account gets no password, and the operator receives a single-use
// link (the password-reset kind) through which its owner chooses one. Nothing secret is typed on
// the command line, and the link is printed once and stored only as a hash.
import { randomUUID } from "node:crypto";
import type { Clock } from "../../clock.js";
import { newAccount } from "../accounts/new-account.js";
import type { AccountRecord } from "../accounts/persistence.js";
import { failedPrecondition, invalidArgument, notFound } from "../errors.js";
import { issueToken } from "../one-time-tokens.js";
import { NO_PASSWORD } from "../passwords.js";
import type { TenantRepositories } from "../persistence.js";
import type { ClientInfo } from "../ports.js";
import type { SessionIssuer } from "../sessions/index.js";
import { commit, type UnitOfWork } from "../unit-of-work.js";
import { DEFAULT_TENANT_ID } from "./records.js";
import { ADMIN_ROLE, OPERATOR_ROLE } from "./roles.js";

export interface AdminBootstrapDeps {
  uow: UnitOfWork<TenantRepositories>;
  clock: Clock;
  sessions: Pick<SessionIssuer, "revokeAll">;
  normalizeEmail: (raw: string, field: string) => string;
  passwordTokenTtlSeconds: number;
}

export interface BootstrappedAdmin {
  userId: string;
  created: boolean;
  roles: string[];
  /** The single-use token that sets the password. */
  token: string;
  expiresAt: number;
}

const CLI_CLIENT: ClientInfo = { ip: "", rateLimitKey: "cli", userAgent: "authd admin create" };

export async function bootstrapAdmin(
  deps: AdminBootstrapDeps,
  input: { tenantSlug: string; email: string; operator: boolean },
): Promise<BootstrappedAdmin> {
  const email = deps.normalizeEmail(input.email, "email");
  if (input.tenantSlug === "") throw invalidArgument("tenant", "is required");
  const now = deps.clock.now();
  return deps.uow.run(async (tx) => {
    const tenant = await tx.tenants.findBySlug(input.tenantSlug);
    if (!tenant)
      throw notFound(`no tenant "${input.tenantSlug}" (operators create tenants with CreateTenant)`);
    if (input.operator && tenant.id !== DEFAULT_TENANT_ID) {
      throw failedPrecondition(`"${OPERATOR_ROLE}" exists only in the default tenant`);
    }
    const wanted = input.operator ? [ADMIN_ROLE, OPERATOR_ROLE] : [ADMIN_ROLE];
    const existing = await tx.accounts.findByEmail(tenant.id, email);
    let userId: string;
    let roles: string[];
    if (existing) {
      userId = existing.id;
      roles = [...new Set([...existing.roles, ...wanted])];
      if (roles.length !== existing.roles.length) {
        await tx.accounts.update(userId, { roles, updatedAt: now });
        // Tokens carry roles: the account signs in again to get the new ones.
        await deps.sessions.revokeAll(tx, userId);
      }
    } else {
      userId = randomUUID();
      roles = wanted;
      await tx.accounts.insert(newAdmin(userId, tenant.id, email, roles, now));
    }
    const { token } = await issueToken(tx, now, "reset_password", userId, deps.passwordTokenTtlSeconds);
    await tx.audit.record(now, "tenant.admin_created", userId, CLI_CLIENT, {
      tenantId: tenant.id,
      roles,
      created: !existing,
    });
    return commit({
      userId,
      created: !existing,
      roles,
      token,
      expiresAt: now + deps.passwordTokenTtlSeconds * 1000,
    });
  });
}

/** An active account with no password and a verified email. */
function newAdmin(id: string, tenantId: string, email: string, roles: string[], now: number): AccountRecord {
  // The operator vouches for the address: the link that sets the password is handed over by them,
  // not mailed, so no verification email would ever arrive.
  return newAccount(now, { id, tenantId, email, emailVerified: true, passwordHash: NO_PASSWORD, roles });
}
