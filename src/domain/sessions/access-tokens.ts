// Access tokens: short-lived JWTs (RFC 9068 profile, typ at+jwt) signed with the active Ed25519 key.
// Verification follows RFC 8725: the algorithm is pinned, typ/iss/aud/exp/nbf are checked against
// authd's clock, the kid only selects among authd's own keys, and key-carrying headers (jku, x5u,
// jwk) are never consulted because the key is looked up by kid alone.
import { sign as cryptoSign, KeyObject, randomUUID, type webcrypto } from "node:crypto";
import { type CryptoKey, decodeProtectedHeader, jwtVerify } from "jose";
import type { Clock } from "../../clock.js";
import type { Repositories } from "../persistence.js";
import { SIGNING_ALGORITHM, type SigningKeys } from "./signing-keys.js";

export const ACCESS_TOKEN_TYPE = "at+jwt";
/** Verified tokens remembered, so a client presenting the same token again costs no signature check. */
const VERIFIED_TOKENS = 10_000;

interface Verified {
  claims: AccessTokenClaims;
  /** Epoch ms of `nbf`, when the token has one. */
  notBefore: number;
  keySetVersion: number;
}

export interface AccessTokenInput {
  userId: string;
  sessionId: string;
  amr: string[];
  tenantId: string | null;
  roles: string[];
  /** Epoch ms; the token never outlives its session. */
  notAfter: number;
}

export interface AccessTokenClaims {
  userId: string;
  sessionId: string;
  amr: string[];
  tenantId: string | undefined;
  roles: string[];
  /** Epoch ms. */
  issuedAt: number;
  /** Epoch ms. */
  expiresAt: number;
  jti: string;
}

export class AccessTokens {
  private readonly keyObjects = new WeakMap<CryptoKey, KeyObject>();

  private keyObject(key: CryptoKey): KeyObject {
    let found = this.keyObjects.get(key);
    if (!found) {
      found = KeyObject.from(key as unknown as webcrypto.CryptoKey);
      this.keyObjects.set(key, found);
    }
    return found;
  }

  /** Token → its claims, least recently used first. Only tokens that verified are kept. */
  private readonly verified = new Map<string, Verified>();

  constructor(
    private readonly keys: SigningKeys,
    private readonly clock: Clock,
    private readonly config: { issuer: string; audience: string; accessTokenTtlSeconds: number },
  ) {}

  /** Signs a token; `tx` is the caller's transaction, if any. */
  async sign(
    input: AccessTokenInput,
    reads?: Pick<Repositories, "signingKeys">,
  ): Promise<{ token: string; expiresAt: number }> {
    const { kid, privateKey } = await this.keys.signingKey(reads);
    const iat = Math.floor(this.clock.now() / 1000);
    const exp = Math.min(iat + this.config.accessTokenTtlSeconds, Math.floor(input.notAfter / 1000));
    const claims: Record<string, unknown> = { sid: input.sessionId, amr: input.amr };
    if (input.tenantId) claims.tenant = input.tenantId;
    if (input.roles.length > 0) claims.roles = input.roles;
    const payload = {
      ...claims,
      iss: this.config.issuer,
      aud: this.config.audience,
      sub: input.userId,
      iat,
      exp,
      jti: randomUUID(),
    };
    const header = { alg: SIGNING_ALGORITHM, kid, typ: ACCESS_TOKEN_TYPE };
    const signingInput = `${base64url(header)}.${base64url(payload)}`;
    // A compact JWS (RFC 7515) signed in place: an Ed25519 signature takes microseconds, less than
    // handing it to the thread pool as WebCrypto would (where it would also queue behind argon2).
    const signature = cryptoSign(null, Buffer.from(signingInput), this.keyObject(privateKey));
    return { token: `${signingInput}.${signature.toString("base64url")}`, expiresAt: exp * 1000 };
  }

  /**
   * The token's claims when it is authentic and current; null for every failure. A token that
   * verified before is answered from memory while its time window holds and no key that verified
   * it has been withdrawn: the signature of a given string does not change.
   */
  async verify(token: string): Promise<AccessTokenClaims | null> {
    if (token.length > 8192) return null;
    // A key withdrawn meanwhile (here or on another replica) must stop what it signed, remembered or not.
    await this.keys.refreshIfStale();
    const known = this.verified.get(token);
    if (known) {
      const now = this.clock.now();
      this.verified.delete(token);
      if (known.keySetVersion === this.keys.keySetVersion && now >= known.notBefore) {
        if (now < known.claims.expiresAt) {
          this.verified.set(token, known);
          return known.claims;
        }
        return null;
      }
    }
    const keySetVersion = this.keys.keySetVersion;
    const claims = await this.verifySignature(token);
    if (claims && keySetVersion === this.keys.keySetVersion) {
      // Frozen: every caller shares the remembered claims.
      Object.freeze(claims.claims.amr);
      Object.freeze(claims.claims.roles);
      Object.freeze(claims.claims);
      this.verified.set(token, { claims: claims.claims, notBefore: claims.notBefore, keySetVersion });
      if (this.verified.size > VERIFIED_TOKENS) {
        const oldest = this.verified.keys().next().value;
        if (oldest !== undefined) this.verified.delete(oldest);
      }
    }
    return claims?.claims ?? null;
  }

  /**
   * Whether a token that `verify` refused is authentic but past its expiry, so that the answer can
   * tell the client to refresh (TOKEN_EXPIRED) rather than to sign in again. Checks everything
   * `verify` does except the time window.
   */
  async isExpired(token: string): Promise<boolean> {
    if (token.length > 8192) return false;
    const verified = await this.verifySignature(token, { ignoreTime: true });
    return verified !== null && this.clock.now() >= verified.claims.expiresAt;
  }

  private async verifySignature(
    token: string,
    options: { ignoreTime?: boolean } = {},
  ): Promise<{ claims: AccessTokenClaims; notBefore: number } | null> {
    try {
      const header = decodeProtectedHeader(token);
      if (header.alg !== SIGNING_ALGORITHM || typeof header.kid !== "string") return null;
      const key = await this.keys.verificationKey(header.kid);
      if (!key) return null;
      const { payload } = await jwtVerify(token, key, {
        algorithms: [SIGNING_ALGORITHM],
        typ: ACCESS_TOKEN_TYPE,
        issuer: this.config.issuer,
        audience: this.config.audience,
        currentDate: new Date(this.clock.now()),
        requiredClaims: ["sub", "sid", "iat", "exp", "jti"],
        ...(options.ignoreTime ? { clockTolerance: Number.MAX_SAFE_INTEGER } : {}),
      });
      const { sub, sid, amr, tenant, roles, iat, exp, jti, nbf } = payload;
      if (typeof sub !== "string" || typeof sid !== "string" || typeof jti !== "string") return null;
      if (typeof iat !== "number" || typeof exp !== "number") return null;
      const claims: AccessTokenClaims = {
        userId: sub,
        sessionId: sid,
        amr: stringList(amr),
        tenantId: typeof tenant === "string" ? tenant : undefined,
        roles: stringList(roles),
        issuedAt: iat * 1000,
        expiresAt: exp * 1000,
        jti,
      };
      return { claims, notBefore: typeof nbf === "number" ? nbf * 1000 : Number.NEGATIVE_INFINITY };
    } catch {
      return null;
    }
  }
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}
