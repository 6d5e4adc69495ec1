// The narrow part of oidc-provider that the upstream peer uses, typed here because the package ships
// no type declarations, and the signing keys it is given.
import { createPrivateKey, generateKeyPairSync, type KeyObject, randomBytes } from "node:crypto";
import type http from "node:http";
import type { JWK } from "jose";

export interface Interaction {
  uid: string;
  prompt: { name: string; details: Record<string, unknown> };
  params: Record<string, unknown>;
  session?: { accountId: string };
  grantId?: string;
}
export interface Grant {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  addResourceScope(indicator: string, scope: string): void;
  save(): Promise<string>;
}
export interface OidcProvider {
  callback(): (req: http.IncomingMessage, res: http.ServerResponse) => void;
  interactionDetails(req: http.IncomingMessage, res: http.ServerResponse): Promise<Interaction>;
  interactionFinished(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    result: Record<string, unknown>,
    options?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>;
  Grant: {
    new (init: { accountId: string; clientId: string }): Grant;
    find(id: string): Promise<Grant | undefined>;
  };
  Client: { find(id: string): Promise<{ clientId: string; clientName?: string } | undefined> };
  on(event: string, listener: (ctx: unknown, error: Error) => void): void;
}
export type ProviderClass = new (issuer: string, configuration: Record<string, unknown>) => OidcProvider;

/**
 * Loads oidc-provider through a specifier typed as a plain string, so TypeScript does not look for
 * declarations the package does not ship (and no ambient `declare module` of ours can collide with
 * one that authd's own code may declare).
 */
export async function loadProvider(): Promise<ProviderClass> {
  const specifier: string = "oidc-provider";
  const module = (await import(specifier)) as { default: ProviderClass };
  return module.default;
}

export interface SigningKey {
  kid: string;
  alg: string;
  privateJwk: JWK;
  privateKey: KeyObject;
}

/** A fresh signing key, as a private JWK (for oidc-provider) and a KeyObject (to sign tampered tokens). */
export function signingKey(alg: "RS256" | "ES256"): SigningKey {
  const { privateKey } =
    alg === "RS256"
      ? generateKeyPairSync("rsa", { modulusLength: 2048 })
      : generateKeyPairSync("ec", { namedCurve: "P-256" });
  const kid = `${alg.toLowerCase()}-${randomBytes(4).toString("hex")}`;
  const privateJwk = { ...(privateKey.export({ format: "jwk" }) as JWK), kid, alg, use: "sig" };
  return { kid, alg, privateJwk, privateKey: createPrivateKey({ key: privateJwk as never, format: "jwk" }) };
}

/** A private JWK without its private members: what a JWKS publishes. */
export function publicJwk({ d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...rest }: JWK): JWK {
  return rest;
}
