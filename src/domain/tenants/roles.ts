// Roles are strings kept on the account. Built in: "admin" (manages its tenant) and "member"; a
// deployment declares more with AUTHD_ROLES. "operator" (manages tenants) exists only in the
// default tenant, so a tenant's own administrators can never grant it.
import { invalidArgument } from "../errors.js";
import { DEFAULT_TENANT_ID } from "./records.js";

export const ADMIN_ROLE = "admin";
export const MEMBER_ROLE = "member";
export const OPERATOR_ROLE = "operator";

export class Roles {
  private readonly known: ReadonlySet<string>;

  constructor(declared: string[]) {
    this.known = new Set([ADMIN_ROLE, MEMBER_ROLE, ...declared.filter((r) => r !== OPERATOR_ROLE)]);
  }

  /** The roles, deduplicated, when each may be held in the tenant; invalid_argument naming `field` otherwise. */
  check(roles: string[], tenantId: string, field: string): string[] {
    const unique = [...new Set(roles)];
    for (const role of unique) {
      if (role === OPERATOR_ROLE) {
        if (tenantId !== DEFAULT_TENANT_ID) {
          throw invalidArgument(field, `"${OPERATOR_ROLE}" exists only in the default tenant`);
        }
        continue;
      }
      if (!this.known.has(role)) {
        throw invalidArgument(
          field,
          `unknown role "${role.slice(0, 40)}"; known: ${[...this.known].join(", ")}`,
        );
      }
    }
    return unique;
  }
}

/** Whether the caller manages tenants: an operator of the default tenant. */
export function isOperator(caller: {
  tenantId: string | undefined | null;
  roles: readonly string[];
}): boolean {
  return caller.tenantId === DEFAULT_TENANT_ID && caller.roles.includes(OPERATOR_ROLE);
}
