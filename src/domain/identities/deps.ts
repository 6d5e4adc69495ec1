import type { Clock } from "../../clock.js";
import type { issueSignIn } from "../accounts/login.js";
import type { Notices } from "../notices.js";
import type { PasswordConfirmation } from "../password-confirmation.js";
import type { IdentityRepositories } from "../persistence.js";
import type { RateLimiter } from "../ports.js";
import type { SecretBox } from "../secret-box.js";
import type { UnitOfWork } from "../unit-of-work.js";
import type { Providers } from "./providers.js";

/** Everything provider sign-in and identity linking need; built once in app.ts. */
export interface IdentityDeps {
  uow: UnitOfWork<IdentityRepositories>;
  clock: Clock;
  providers: Providers;
  /** Seals the provider tokens at rest; its own key, derived from the master secret. */
  box: SecretBox;
  notices: Notices;
  /** Sign-in ends like Login's (issueSignIn). */
  signIn: Parameters<typeof issueSignIn>[1];
  /** Re-authentication with the current password is Login's too. */
  passwords: PasswordConfirmation;
  /** Whether the caller's session proved a second factor recently (MFA's step-up). */
  stepUp: { hasRecent(caller: { userId: string; sessionId: string }): Promise<boolean> };
  rateLimiter: RateLimiter;
  limits: { loginMaxFailuresPerIp: number; rateLimitWindowSeconds: number };
}
