// A local OpenID Connect issuer for tests: a node:http server on 127.0.0.1 with its own jose keys,
// a discovery document and a JWKS, that can rotate its key and mint ID tokens with any claims and
// header. It counts the JWKS requests, so tests can see how often authd fetched the keys.
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import {
  type CryptoKey,
  exportJWK,
  generateKeyPair,
  type JWK,
  type JWSHeaderParameters,
  type JWTPayload,
  SignJWT,
} from "jose";

export interface IssuerKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export interface MintOptions {
  /**
   * Claims over the defaults (iss, aud, sub, iat, exp, email, email_verified, and a fresh jti, so that
   * two tokens minted in one second are two tokens, as a provider's are); undefined removes one.
   * Without a jti, authd remembers a spent token by its `header.payload`: the same claims twice are
   * then the same token.
   */
  claims?: Record<string, unknown>;
  /** Header over the defaults (alg, kid, typ). */
  header?: Partial<JWSHeaderParameters>;
  /** Sign with this key instead of the current one (e.g. one the JWKS does not publish). */
  key?: IssuerKey;
}

export interface OidcIssuer {
  url: string;
  clientId: string;
  /** How many times the JWKS was requested. */
  jwksRequests: number;
  discoveryRequests: number;
  /** While true, every request answers 503 (the provider is down). */
  failing: boolean;
  /** The key tokens are signed with now; published in the JWKS. */
  current: IssuerKey;
  /** Makes a new key, publishes it (with the old ones unless `dropOld`) and signs with it from now on. */
  rotate(options?: { dropOld?: boolean }): Promise<IssuerKey>;
  /** A key that is never published. */
  strayKey(kid?: string): Promise<IssuerKey>;
  /** An ID token signed by the current key, issued at `nowMs` (the test clock). */
  mint(nowMs: number, options?: MintOptions): Promise<string>;
  close(): Promise<void>;
}

let kidCounter = 0;

export async function newKey(alg = "ES256", kid = `key-${++kidCounter}`): Promise<IssuerKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: "sig" };
  return { kid, alg, privateKey, publicJwk };
}

export async function startOidcIssuer(clientId = "authd-test-client"): Promise<OidcIssuer> {
  let published: IssuerKey[] = [await newKey()];
  const server = http.createServer((req, res) => {
    if (issuer.failing) {
      res.writeHead(503).end();
      return;
    }
    const send = (body: unknown) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.url === "/.well-known/openid-configuration") {
      issuer.discoveryRequests++;
      return send({
        issuer: issuer.url,
        jwks_uri: `${issuer.url}/jwks`,
        id_token_signing_alg_values_supported: ["ES256", "RS256", "EdDSA"],
      });
    }
    if (req.url === "/jwks") {
      issuer.jwksRequests++;
      return send({ keys: published.map((k) => k.publicJwk) });
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  const issuer: OidcIssuer = {
    url: `http://127.0.0.1:${port}`,
    clientId,
    jwksRequests: 0,
    discoveryRequests: 0,
    failing: false,
    current: published[0] as IssuerKey,
    async rotate(options = {}) {
      const key = await newKey();
      published = options.dropOld ? [key] : [...published, key];
      issuer.current = key;
      return key;
    },
    strayKey: (kid) => newKey("ES256", kid),
    async mint(nowMs, options = {}) {
      const key = options.key ?? issuer.current;
      const now = Math.floor(nowMs / 1000);
      const claims: Record<string, unknown> = {
        iss: issuer.url,
        aud: clientId,
        sub: "subject-1",
        iat: now,
        exp: now + 600,
        email: "someone@example.com",
        email_verified: true,
        jti: randomUUID(),
        ...options.claims,
      };
      for (const [k, v] of Object.entries(claims)) if (v === undefined) delete claims[k];
      return new SignJWT(claims as JWTPayload)
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT", ...options.header } as never)
        .sign(key.privateKey);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return issuer;
}

/**
 * AUTHD_OIDC_PROVIDERS for one provider named `name` at `issuer`, with the development allowance
 * that lets authd reach a provider on loopback over http (AUTHD_OUTBOUND_ALLOW_PRIVATE).
 */
export function providerEnv(issuer: OidcIssuer, name = "test"): Record<string, string> {
  return {
    AUTHD_OIDC_PROVIDERS: JSON.stringify([{ name, issuer: issuer.url, client_ids: [issuer.clientId] }]),
    AUTHD_OUTBOUND_ALLOW_PRIVATE: "true",
  };
}
