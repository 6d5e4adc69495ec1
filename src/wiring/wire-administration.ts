// What an administrator does to a tenant's accounts (ListUsers ... ListAuditEvents), with the roles
// the deployment declares (AUTHD_ROLES).
import type { Config } from "../config.js";
import { type Administration, createAdministration } from "../domain/administration/index.js";
import { ADMINISTRATION_REPOSITORIES } from "../domain/persistence.js";
import type { SecondFactorGate } from "../domain/ports.js";
import type { ApiKeyRevoker, SessionIssuer, SessionLister } from "../domain/sessions/index.js";
import { Roles } from "../domain/tenants/roles.js";
import type { Infrastructure } from "./infrastructure.js";
import type { Wired } from "./wired.js";

/** The settings it uses. */
type Settings = Pick<Config, "roles" | "passwordResetTtlSeconds" | "passwordMinLength">;

export function wireAdministration(
  infra: Pick<Infrastructure, "clock" | "unitOfWork" | "hasher" | "notices" | "reauth">,
  settings: Settings,
  needs: { sessions: SessionIssuer & SessionLister; secondFactor: SecondFactorGate; apiKeys: ApiKeyRevoker },
): Wired<Administration> {
  const administration = createAdministration({
    uow: infra.unitOfWork(ADMINISTRATION_REPOSITORIES),
    clock: infra.clock,
    hasher: infra.hasher,
    notices: infra.notices,
    sessions: needs.sessions,
    apiKeys: needs.apiKeys,
    secondFactor: needs.secondFactor,
    roles: new Roles(settings.roles),
    reauth: infra.reauth,
    passwordMinLength: settings.passwordMinLength,
    // An invitation link is valid as long as a password reset link.
    invitationTtlSeconds: settings.passwordResetTtlSeconds,
  });
  return { face: administration, closers: [], jobs: [] };
}
