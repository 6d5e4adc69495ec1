// The provider's access and refresh tokens given at sign-in or linking, sealed at rest. The row id
// is the associated data, so a sealed value copied onto another account's row does not open.
import { invalidArgument } from "../errors.js";
import type { SecretBox } from "../secret-box.js";

export interface ProviderTokens {
  accessToken: string;
  refreshToken: string;
}

const MAX_TOKEN_LENGTH = 8 * 1024;

/** Validates the optional tokens of a request; null when none was given. */
export function checkProviderTokens(accessToken: string, refreshToken: string): ProviderTokens | null {
  if (accessToken.length > MAX_TOKEN_LENGTH) throw invalidArgument("access_token", "is too long");
  if (refreshToken.length > MAX_TOKEN_LENGTH) throw invalidArgument("refresh_token", "is too long");
  if (accessToken === "" && refreshToken === "") return null;
  return { accessToken, refreshToken };
}

export function sealTokens(box: SecretBox, identityId: string, tokens: ProviderTokens): string {
  return box.seal(JSON.stringify(tokens), identityId);
}

export function openTokens(box: SecretBox, identityId: string, sealed: string): ProviderTokens {
  const parsed = JSON.parse(box.open(sealed, identityId)) as Partial<ProviderTokens>;
  return { accessToken: parsed.accessToken ?? "", refreshToken: parsed.refreshToken ?? "" };
}
