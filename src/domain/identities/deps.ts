import type { Clock } from "../../clock.js";
import type { issueSignIn } from "../accounts/login.js";
import type { Notices } from "../notices.js";
import type { IdentityRepositories } from "../persistence.js";
import type { RateLimiter } from "../ports.js";
import type { Reauthenticator } from "../reauthentication.js";
import type { SecretBox } from "../secret-box.js";
import type { UnitOfWork } from "../unit-of-work.js";
import type { Providers } from "./providers.js";

/**
 * What createIdentities (index.ts) is built from, in src/wiring/wire-identities.ts. Each use case
 * takes the Pick of it that it uses.
 */
export interface IdentityDeps {
  uow: UnitOfWork<IdentityRepositories>;
  clock: Clock;
  providers: Providers;
  /** Seals the provider tokens at rest; its own key, derived from the master secret. */
  box: SecretBox;
  notices: Notices;
  /** Sign-in ends like Login's (issueSignIn). */
  signIn: Parameters<typeof issueSignIn>[1];
  /**
   * Linking, unlinking and reading provider tokens re-authenticate as a password change does (the
   * password, and a recent second factor where the account has one).
   */
  reauth: Reauthenticator;
  rateLimiter: RateLimiter;
  limits: { loginMaxFailuresPerIp: number; rateLimitWindowSeconds: number };
}
