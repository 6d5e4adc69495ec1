// AUTHD_OIDC_PROVIDERS: the OpenID Connect providers whose ID tokens LoginWithProvider accepts, as a
// JSON array. Every mistake is a ConfigError naming the variable and the entry at fault. Plain http
// is the development allowance's (AUTHD_OUTBOUND_ALLOW_PRIVATE), checked with it in config.ts
// (plainHttpProblem): every request to a provider goes through the outbound rule.
import { ConfigError, type Parser } from "./config-parsers.js";
import type { OidcProviderConfig } from "./domain/identities/provider-settings.js";

/** The provider settings the domain declares (domain/identities/provider-settings.ts), read from here. */
export type { OidcProviderConfig };

const NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** An absolute https (or, with the allowance, http) URL without query or fragment. */
function providerUrl(raw: unknown, name: string, what: string): string {
  if (typeof raw !== "string" || raw === "") throw new ConfigError(name, `${what} must be a URL`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `${what} must be an absolute URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ConfigError(name, `${what} must use https`);
  }
  if (url.search !== "" || url.hash !== "")
    throw new ConfigError(name, `${what} must not have a query or fragment`);
  return raw;
}

export const oidcProviders: Parser<OidcProviderConfig[]> = (raw, name) => {
  if (raw === "") return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(name, "must be a JSON array of providers");
  }
  if (!Array.isArray(parsed)) throw new ConfigError(name, "must be a JSON array of providers");
  const seen = new Set<string>();
  return parsed.map((entry: unknown, i) => {
    const at = `provider ${i + 1}`;
    if (typeof entry !== "object" || entry === null) throw new ConfigError(name, `${at} must be an object`);
    const e = entry as Record<string, unknown>;
    if (typeof e.name !== "string" || !NAME.test(e.name)) {
      throw new ConfigError(name, `${at}: name must be 1 to 64 lower-case letters, digits, '-' or '_'`);
    }
    if (seen.has(e.name)) throw new ConfigError(name, `${at}: the name "${e.name}" is used twice`);
    seen.add(e.name);
    const issuer = providerUrl(e.issuer, name, `${at} (${e.name}): issuer`);
    const clientIds = e.client_ids;
    if (
      !Array.isArray(clientIds) ||
      clientIds.length === 0 ||
      !clientIds.every((id) => typeof id === "string" && id !== "")
    ) {
      throw new ConfigError(name, `${at} (${e.name}): client_ids must be a non-empty array of strings`);
    }
    const jwksUrl =
      e.jwks_url === undefined ? undefined : providerUrl(e.jwks_url, name, `${at} (${e.name}): jwks_url`);
    const known = new Set(["name", "issuer", "client_ids", "jwks_url"]);
    const unknown = Object.keys(e).find((k) => !known.has(k));
    if (unknown) throw new ConfigError(name, `${at} (${e.name}): unknown field "${unknown}"`);
    return { name: e.name, issuer, clientIds: clientIds as string[], jwksUrl };
  });
};

/**
 * What is wrong with the providers when plain http is not allowed (without the development
 * allowance): the first issuer or jwks_url on http, or undefined.
 */
export function plainHttpProblem(providers: OidcProviderConfig[]): string | undefined {
  for (const provider of providers) {
    for (const [what, value] of [
      ["issuer", provider.issuer],
      ["jwks_url", provider.jwksUrl],
    ] as const) {
      if (value !== undefined && new URL(value).protocol === "http:") {
        return `the provider "${provider.name}": ${what} must use https (${HTTP_ALLOWANCE})`;
      }
    }
  }
  return undefined;
}

/** How plain http is allowed, for the messages that refuse it. */
export const HTTP_ALLOWANCE = "http only with AUTHD_OUTBOUND_ALLOW_PRIVATE=true, for development";
