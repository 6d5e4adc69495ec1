// A provider's signing keys, as its JWKS publishes them. Fetched on first use (through the
// discovery document unless a JWKS URL is configured), kept for KEYS_TTL, and fetched again at once
// when a token names a key id we do not hold (the provider rotated its keys) — but never more often
// than MIN_REFETCH_INTERVAL: a stream of tokens with made-up key ids must not make authd hammer the
// provider. Times come from the injected clock. A `jwks_uri` from discovery is held to https like a
// configured one (jwksUriProblem). Documents are read through one injected function (FetchJson:
// provider-fetch.ts, over the outbound port). A fetch that fails is logged with the provider's name,
// the document and the reason, never the URL's path; at most one per MIN_REFETCH_INTERVAL.
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWSHeaderParameters } from "jose";
import type { Clock } from "../../clock.js";
import type { Logger } from "../ports.js";
import { type FetchJson, ProviderUnavailableError } from "./provider-fetch.js";
import type { OidcProviderConfig } from "./provider-settings.js";

export { type FetchJson, ProviderUnavailableError };

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
    private readonly logger: Pick<Logger, "warn">,
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
    if (!this.keys) throw new ProviderUnavailableError("unfetched", "the keys are not available yet");
    return this.keys;
  }

  /** One fetch at a time, at most once per MIN_REFETCH_INTERVAL (failures included). */
  private refetch(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    if (this.clock.now() - this.lastFetchAt < MIN_REFETCH_INTERVAL_MS) return Promise.resolve();
    this.lastFetchAt = this.clock.now();
    this.inFlight = this.fetchKeys()
      .then(
        (jwks) => {
          this.keys = { resolve: createLocalJWKSet(jwks), fetchedAt: this.clock.now() };
        },
        (error: unknown) => {
          if (error instanceof ProviderUnavailableError) {
            this.logger.warn(
              { provider: this.provider.name, reason: error.reason, error: error.message },
              "an identity provider's keys cannot be fetched",
            );
          }
          throw error;
        },
      )
      .finally(() => {
        this.inFlight = undefined;
      });
    return this.inFlight;
  }

  private async fetchKeys(): Promise<JSONWebKeySet> {
    const jwksUrl = this.provider.jwksUrl ?? (await this.discoverJwksUrl());
    const jwks = await this.read("the JWKS", jwksUrl);
    if (!Array.isArray((jwks as { keys?: unknown }).keys)) {
      throw new ProviderUnavailableError("document", "the JWKS has no keys array");
    }
    return jwks as JSONWebKeySet;
  }

  /** OpenID Connect Discovery 1.0 §4: the document must name the issuer we configured. */
  private async discoverJwksUrl(): Promise<string> {
    const base = this.provider.issuer.replace(/\/$/, "");
    const doc = (await this.read(
      "the discovery document",
      `${base}/.well-known/openid-configuration`,
    )) as Record<string, unknown>;
    if (doc.issuer !== this.provider.issuer) {
      throw new ProviderUnavailableError("document", "the discovery document names another issuer");
    }
    if (typeof doc.jwks_uri !== "string") {
      throw new ProviderUnavailableError("document", "the discovery document has no jwks_uri");
    }
    const problem = jwksUriProblem(this.provider.issuer, doc.jwks_uri);
    if (problem) throw new ProviderUnavailableError("document", `the discovery document: ${problem}`);
    return doc.jwks_uri;
  }

  /** One document, its failures prefixed with what it is (the URL's path is never said). */
  private async read(what: string, url: string): Promise<unknown> {
    try {
      const doc = await this.fetchJson(url);
      if (typeof doc !== "object" || doc === null) {
        throw new ProviderUnavailableError("document", "the answer is not a JSON object");
      }
      return doc;
    } catch (error) {
      if (!(error instanceof ProviderUnavailableError)) throw error;
      throw new ProviderUnavailableError(error.reason, `${what}: ${error.message}`);
    }
  }
}

/**
 * Why a `jwks_uri` read from `issuer`'s discovery document may not be fetched, or undefined when it
 * may: https, or plain http only for an issuer that is on plain http itself (which only the
 * development allowance lets an operator configure) and at the same host. A provider's document
 * cannot send authd to plain http elsewhere, where anyone on the path could swap the keys. Where it
 * may be fetched from is the outbound port's rule (no address on this machine or its network).
 */
export function jwksUriProblem(issuer: string, jwksUri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(jwksUri);
  } catch {
    return "its jwks_uri is not a URL";
  }
  if (url.protocol === "https:") return undefined;
  const from = new URL(issuer);
  if (url.protocol === "http:" && from.protocol === "http:" && sameHost(url, from)) return undefined;
  return "its jwks_uri must use https (http only at the host of an issuer on http)";
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** The same host name, or two names of this machine's loopback interface. */
function sameHost(a: URL, b: URL): boolean {
  return a.hostname === b.hostname || (LOOPBACK.has(a.hostname) && LOOPBACK.has(b.hostname));
}
