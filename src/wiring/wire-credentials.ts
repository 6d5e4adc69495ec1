// The one path from a credential (an access token, an API key) to its caller, for the
// authentication interceptor and ValidateToken: built last of the token parts, once the tenants
// can say whether an account's tenant still lets it in.
import type { AccessTokens } from "../domain/sessions/access-tokens.js";
import type { ApiKeys } from "../domain/sessions/api-keys.js";
import { Credentials, type TokenAuthenticator } from "../domain/sessions/credentials.js";
import type { Sessions } from "../domain/sessions/sessions.js";
import type { Tenants } from "../domain/tenants/tenants.js";
import type { Wired } from "./wired.js";

export function wireCredentials(needs: {
  accessTokens: AccessTokens;
  sessions: Sessions;
  apiKeys: ApiKeys;
  tenants: Pick<Tenants, "admits">;
}): Wired<TokenAuthenticator> {
  const credentials = new Credentials(needs.accessTokens, needs.sessions, needs.apiKeys, (tenantId) =>
    needs.tenants.admits(tenantId),
  );
  return { face: credentials, closers: [], jobs: [] };
}
