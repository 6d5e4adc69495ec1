// RegisterCompany: a new tenant and its first user, the tenant's administrator, in one
// transaction. The user is made like Register's (unverified, a verification link mailed). The
// tenant is pending until the link is followed, which activates it (pending.ts); then the user
// signs in. Left unverified, it is released after AUTHD_PENDING_TENANT_TTL, so sign-ups nobody
// finishes cannot squat slugs. The email cannot be taken in a tenant that did not exist, so the
// answer says nothing about the address either way (its accounts in other tenants are theirs); the
// slug is public, so a taken one is said to be taken.
import { randomUUID } from "node:crypto";
import type { Uses } from "../accounts/deps.js";
import {
  type AdmissionDeps,
  admitNewUser,
  checkNewUser,
  insertAccount,
  type RegisterInput,
} from "../accounts/registration.js";
import { alreadyExists, DomainError } from "../errors.js";
import type { ClientInfo } from "../ports.js";
import { commit } from "../unit-of-work.js";
import type { TenantRecord } from "./records.js";
import { ADMIN_ROLE } from "./roles.js";
import { checkSlug, checkTenantName } from "./slugs.js";

export interface CompanyRegistration {
  companyName: string;
  companySlug: string;
  /** The first user: Register's fields without the tenant and the captcha. */
  user: Omit<RegisterInput, "captchaToken" | "tenant">;
  captchaToken: string;
}

export async function registerCompany(
  deps: AdmissionDeps & Uses<"mail", "emailVerificationTtlSeconds">,
  input: CompanyRegistration,
  client: ClientInfo,
): Promise<TenantRecord> {
  const name = checkTenantName(input.companyName, "company_name");
  const slug = checkSlug(input.companySlug, "company_slug");
  const user = underField("user", () => checkNewUser(deps, input.user));
  const tenantId = randomUUID();
  // The tenant is new, so the per-tenant address limit would always be fresh: new companies are
  // counted per address on a key of their own, or one could mail an address without bound.
  const work = await admitNewUser(
    deps,
    user,
    { password: input.user.password, captchaToken: input.captchaToken },
    client,
    tenantId,
    `email:company:${user.email}`,
  );
  const now = work.now;
  const tenant: TenantRecord = {
    id: tenantId,
    slug,
    name,
    status: "pending",
    createdAt: now,
    updatedAt: now,
  };
  return deps.uow.run(async (tx) => {
    if (!(await tx.tenants.insert(tenant))) throw alreadyExists(`company_slug: "${slug}" is taken`);
    await tx.audit.record(now, "tenant.created", null, client, { tenantId, slug });
    await insertAccount(deps, tx, work, [ADMIN_ROLE]);
    return commit(tenant);
  });
}

/** Runs `check`, naming its invalid fields as fields of the request's `prefix` message. */
function underField<T>(prefix: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (!(error instanceof DomainError) || error.kind !== "invalid_argument" || !error.field) throw error;
    const moved = new DomainError(
      "invalid_argument",
      `${prefix}.${error.message}`,
      `${prefix}.${error.field}`,
    );
    moved.errorReason = error.errorReason;
    throw moved;
  }
}
