// What provider sign-in needs to know of each OpenID Connect provider. The domain declares it;
// src/config-oidc.ts reads AUTHD_OIDC_PROVIDERS into it (every mistake a ConfigError there).

export interface OidcProviderConfig {
  /** What clients send as `provider`: lower-case letters, digits, '-' and '_'. */
  name: string;
  /** The `iss` the provider's ID tokens carry; discovery is read from `<issuer>/.well-known/openid-configuration`. */
  issuer: string;
  /** Our client ids at this provider: an ID token's `aud` must name one of them. */
  clientIds: string[];
  /** Where the provider's keys are; when absent, the discovery document's `jwks_uri`. */
  jwksUrl: string | undefined;
}
