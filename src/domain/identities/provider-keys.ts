// A provider's signing keys, as its JWKS publishes them. Fetched on first use (through the
// discovery document unless a JWKS URL is configured), kept for KEYS_TTL, and fetched again at once
// when a token names a key id we do not hold (the provider rotated its keys) — but never more often
// than MIN_REFETCH_INTERVAL: a stream of tokens with made-up key ids must not make authd hammer the
// provider. Times come from the injected clock. A `jwks_uri` from discovery is held to https like a
// configured one (jwksUriProblem). Documents are read through one injected function (FetchJson):
// provider-fetch.ts today, which bounds each fetch in time and size.
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWSHeaderParameters } from "jose";
import type { Clock } from "../../clock.js";
import { ProviderUnavailableError } from "./provider-fetch.js";
import { isLoopbackHttp, type OidcProviderConfig } from "./provider-settings.js";

export { ProviderUnavailableError };

/**
 * Reads one JSON document from a provider (its discovery document, its JWKS), or throws
 * ProviderUnavailableError. The wiring provides it (src/wiring/wire-identities.ts).
 */
export type FetchJson = (url: string) => Promise<unknown>;

export const KEYS_TTL_MS = 60 * 60_000;
export const MIN_REFETCH_INTERVAL_MS = 60_000;

type KeyResolver = ReturnType<typeof createLocalJWKSet>;

export class ProviderKeys {
  private keys: { resolve: KeyResolver; fetchedAt: number } | undefined;
  private lastFetchAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly provider: OidcProviderConfig,
    private readonly clock: Clock,
    private readonly fetchJson: FetchJson,
  ) {}

  /** The key for a token's protected header, as jose's jwtVerify asks for it. */
  readonly resolve = async (header: JWSHeaderParameters, token: unknown): ReturnType<KeyResolver> => {
    if (!this.keys) await this.refetch();
    else if (this.clock.now() - this.keys.fetchedAt >= KEYS_TTL_MS) {
      // Expired keys are still the provider's best known: kept while it cannot be reached.
      await this.refetch().catch(() => undefined);
    }
    try {
      return await this.current().resolve(header, token as never);
    } catch (error) {
      // An unknown key id may be a rotation: fetch once more, unless we fetched just now.
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      if (this.clock.now() - this.lastFetchAt < MIN_REFETCH_INTERVAL_MS) throw error;
      await this.refetch();
      return this.current().resolve(header, token as never);
    }
  };

  private current(): { resolve: KeyResolver } {
    if (!this.keys) throw new ProviderUnavailableError(`the keys of ${this.provider.name} are not available`);
    return this.keys;
  }

  /** One fetch at a time, at most once per MIN_REFETCH_INTERVAL (failures included). */
  private refetch(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    if (this.clock.now() - this.lastFetchAt < MIN_REFETCH_INTERVAL_MS) return Promise.resolve();
    this.lastFetchAt = this.clock.now();
    this.inFlight = this.fetchKeys()
      .then((jwks) => {
        this.keys = { resolve: createLocalJWKSet(jwks), fetchedAt: this.clock.now() };
      })
      .finally(() => {
        this.inFlight = undefined;
      });
    return this.inFlight;
  }

  private async fetchKeys(): Promise<JSONWebKeySet> {
    const jwksUrl = this.provider.jwksUrl ?? (await this.discoverJwksUrl());
    const jwks = await this.fetchJson(jwksUrl);
    if (!Array.isArray((jwks as { keys?: unknown }).keys)) {
      throw new ProviderUnavailableError(`${this.provider.name}: the JWKS has no keys array`);
    }
    return jwks as JSONWebKeySet;
  }

  /** OpenID Connect Discovery 1.0 §4: the document must name the issuer we configured. */
  private async discoverJwksUrl(): Promise<string> {
    const base = this.provider.issuer.replace(/\/$/, "");
    const doc = (await this.fetchJson(`${base}/.well-known/openid-configuration`)) as Record<string, unknown>;
    if (doc.issuer !== this.provider.issuer) {
      throw new ProviderUnavailableError(
        `${this.provider.name}: the discovery document names another issuer`,
      );
    }
    if (typeof doc.jwks_uri !== "string") {
      throw new ProviderUnavailableError(`${this.provider.name}: the discovery document has no jwks_uri`);
    }
    const problem = jwksUriProblem(this.provider.issuer, doc.jwks_uri);
    if (problem) throw new ProviderUnavailableError(`${this.provider.name}: ${problem}`);
    return doc.jwks_uri;
  }
}

/**
 * Why a `jwks_uri` read from `issuer`'s discovery document may not be fetched, or undefined when it
 * may. It is held to what the configuration holds a `jwks_url` to, https or http on a loopback
 * address, and the loopback exception only for an issuer that is itself on http at a loopback
 * address (the operator chose a provider on this machine): a remote provider's document cannot send
 * authd to plain http, where anyone on the path could swap the keys, not even on this machine.
 */
export function jwksUriProblem(issuer: string, jwksUri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(jwksUri);
  } catch {
    return "its jwks_uri is not a URL";
  }
  if (url.protocol === "https:") return undefined;
  if (isLoopbackHttp(url) && isLoopbackHttp(new URL(issuer))) return undefined;
  return "its jwks_uri must use https (http only for a provider on this machine)";
}
