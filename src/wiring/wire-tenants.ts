// Tenants (companies): the operator's use cases, `authd admin create`, and whether a tenant lets
// its accounts in. Companies whose first admin never verified free their slugs (a periodic job).
import type { Config } from "../config.js";
import { TENANT_REPOSITORIES } from "../domain/persistence.js";
import type { SessionIssuer } from "../domain/sessions/index.js";
import { createTenants, type Tenants } from "../domain/tenants/index.js";
import type { Infrastructure } from "./infrastructure.js";
import type { Wired } from "./wired.js";

/** The settings it uses. */
type Settings = Pick<Config, "pendingTenantTtlSeconds" | "passwordResetTtlSeconds">;

export function wireTenants(
  infra: Pick<Infrastructure, "clock" | "unitOfWork">,
  settings: Settings,
  needs: { sessions: SessionIssuer },
): Wired<Tenants> {
  const tenants = createTenants({
    uow: infra.unitOfWork(TENANT_REPOSITORIES),
    clock: infra.clock,
    sessions: needs.sessions,
    pendingTenantTtlSeconds: settings.pendingTenantTtlSeconds,
    passwordResetTtlSeconds: settings.passwordResetTtlSeconds,
  });
  return {
    face: tenants,
    closers: [],
    jobs: [
      // Companies whose first admin never verified (AUTHD_PENDING_TENANT_TTL) free their slugs.
      { name: "pending tenant release", everyMs: 10 * 60_000, run: () => tenants.releaseUnverified() },
    ],
  };
}
