import type { AccountDeps } from "../accounts/deps.js";
import type { SecretBox } from "../secret-box.js";
import type { Providers } from "./providers.js";

/** Everything provider sign-in and identity linking need; built once in app.ts. */
export interface IdentityDeps {
  /** Sign-in ends like Login's (issueSignIn) and re-authentication is Login's too. */
  accounts: AccountDeps;
  providers: Providers;
  /** Seals the provider tokens at rest; its own key, derived from the master secret. */
  box: SecretBox;
}
