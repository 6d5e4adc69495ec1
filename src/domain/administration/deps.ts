// What an administrator's use cases are built from (wire-administration.ts builds it once); each
// use case takes only the members it uses.
import type { Clock } from "../../clock.js";
import type { Notices } from "../notices.js";
import type { Page, PageRequest } from "../paging.js";
import type { PasswordHasher } from "../passwords.js";
import type { AdministrationRepositories } from "../persistence.js";
import type { SecondFactorGate } from "../ports.js";
import type { Reauthenticator } from "../reauthentication.js";
import type { ApiKeyRevoker, SessionIssuer, SessionView } from "../sessions/index.js";
import type { Roles } from "../tenants/roles.js";
import type { UnitOfWork } from "../unit-of-work.js";

/** What an administrator does to a user's sessions: read them page by page, end them all. */
export interface AdministeredSessions extends Pick<SessionIssuer, "revokeAll"> {
  listPage(userId: string, request: PageRequest): Promise<Page<SessionView>>;
}

export interface AdministrationDeps {
  uow: UnitOfWork<AdministrationRepositories>;
  clock: Clock;
  hasher: PasswordHasher;
  notices: Notices;
  sessions: AdministeredSessions;
  /** A disabled account, or one whose password an administrator set, keeps no API key. */
  apiKeys: ApiKeyRevoker;
  secondFactor: Pick<SecondFactorGate, "isRequired" | "revokeTrustedDevices">;
  /** The roles the deployment knows (AUTHD_ROLES). */
  roles: Roles;
  /** The one re-authentication rule, for the changes that could hand over an account. */
  reauth: Reauthenticator;
  passwordMinLength: number;
  /** How long an invitation link stays valid: as long as a password reset link. */
  invitationTtlSeconds: number;
}
