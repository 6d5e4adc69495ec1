// The configured OpenID Connect providers, each with its keys, by name.
import type { Clock } from "../../clock.js";
import { invalidArgument } from "../errors.js";
import type { Logger } from "../ports.js";
import { type VerifiedIdentity, verifyIdToken } from "./id-token.js";
import { type FetchJson, ProviderKeys } from "./provider-keys.js";
import type { OidcProviderConfig } from "./provider-settings.js";

/** ID tokens are a few KB; anything far bigger is refused before parsing. */
const MAX_ID_TOKEN_LENGTH = 16 * 1024;

export class Providers {
  private readonly byName = new Map<string, { config: OidcProviderConfig; keys: ProviderKeys }>();

  /**
   * `fetchJson` reads a provider's discovery document and JWKS (provider-fetch.ts); `logger` is told
   * when they cannot be had (provider-keys.ts).
   */
  constructor(
    configs: OidcProviderConfig[],
    private readonly clock: Clock,
    fetchJson: FetchJson,
    logger: Pick<Logger, "warn">,
  ) {
    for (const config of configs)
      this.byName.set(config.name, { config, keys: new ProviderKeys(config, clock, fetchJson, logger) });
  }

  /** The configured providers' names, in configuration order. */
  names(): string[] {
    return [...this.byName.keys()];
  }

  /** Checks the request's fields alone (no key, no signature); throws a DomainError naming the field. */
  checkRequest(
    provider: string,
    idToken: string,
    nonce: string,
  ): { config: OidcProviderConfig; keys: ProviderKeys } {
    if (provider === "") throw invalidArgument("provider", "is required");
    const entry = this.byName.get(provider);
    if (!entry) throw invalidArgument("provider", `"${provider.slice(0, 64)}" is not a configured provider`);
    if (idToken === "") throw invalidArgument("id_token", "is required");
    if (idToken.length > MAX_ID_TOKEN_LENGTH) throw invalidArgument("id_token", "is too long");
    if (nonce.length > 512) throw invalidArgument("nonce", "must be at most 512 characters");
    return entry;
  }

  /** Verifies `idToken` as one of `provider`'s; throws a DomainError naming the field at fault. */
  async verify(
    provider: string,
    idToken: string,
    nonce: string,
    maxAgeSeconds: number,
  ): Promise<VerifiedIdentity> {
    const { config, keys } = this.checkRequest(provider, idToken, nonce);
    return verifyIdToken(config, keys, this.clock, idToken, { nonce, maxAgeSeconds });
  }
}
