// Verifying an OpenID Connect ID token (OpenID Connect Core 1.0 §3.1.3.7, RFC 8725): signed by one
// of the provider's published keys with an asymmetric algorithm from the allow-list (never `none`,
// never HS*: an HMAC "signed" with the public key would otherwise pass), issued by the configured
// issuer for one of our client ids, within its lifetime (a small skew allowed), and bound to the
// nonce when the client gives one. Any `jku`, `x5u` or `jwk` header is ignored: keys come only from
// the provider's JWKS. A token not written in canonical base64url is refused before anything else
// (replay.ts says why).
import { errors, jwtVerify } from "jose";
import type { Clock } from "../../clock.js";
import { invalidArgument, unauthenticated, unavailable } from "../errors.js";
import { safeEqual } from "../secrets.js";
import { type ProviderKeys, ProviderUnavailableError } from "./provider-keys.js";
import type { OidcProviderConfig } from "./provider-settings.js";
import { canonicalEncodingProblem, type SpendableToken, spentKeyOf } from "./replay.js";

export const ALLOWED_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
];
/** How far the provider's clock may be from ours. */
export const CLOCK_SKEW_SECONDS = 60;

/** What a verified ID token asserts, and what it is remembered by once accepted (replay.ts). */
export interface VerifiedIdentity extends SpendableToken {
  subject: string;
  email: string;
  /** True only when the provider asserts `email_verified` for `email`. */
  emailVerified: boolean;
}

export interface VerifyOptions {
  /** The nonce the client sent in its authentication request; "" when it gave none. */
  nonce: string;
  /** The token must have been issued at most this long ago. */
  maxAgeSeconds: number;
}

const invalid = (reason: string) => unauthenticated(`id_token: ${reason}`);

export async function verifyIdToken(
  provider: OidcProviderConfig,
  keys: ProviderKeys,
  clock: Clock,
  idToken: string,
  options: VerifyOptions,
): Promise<VerifiedIdentity> {
  const problem = canonicalEncodingProblem(idToken);
  if (problem) throw invalid(problem);
  let payload: Record<string, unknown>;
  let header: Record<string, unknown>;
  try {
    ({ payload, protectedHeader: header } = await jwtVerify(idToken, keys.resolve, {
      issuer: provider.issuer,
      audience: provider.clientIds,
      algorithms: ALLOWED_ALGORITHMS,
      currentDate: new Date(clock.now()),
      clockTolerance: CLOCK_SKEW_SECONDS,
      maxTokenAge: options.maxAgeSeconds,
      requiredClaims: ["iss", "sub", "aud", "exp", "iat"],
    }));
  } catch (error) {
    throw explain(error);
  }
  // An access token of the same provider is not an ID token (RFC 9068 §4).
  if (typeof header.typ === "string" && /^(application\/)?at\+jwt$/i.test(header.typ)) {
    throw invalid("is an access token, not an ID token");
  }
  checkAuthorizedParty(provider, payload);
  checkNonce(payload.nonce, options.nonce);
  const subject = payload.sub;
  if (typeof subject !== "string" || subject === "" || subject.length > 255) {
    throw invalid("sub must be 1 to 255 characters");
  }
  const email = typeof payload.email === "string" ? payload.email.trim().toLowerCase() : "";
  // Some providers send the boolean as a string.
  const verified = payload.email_verified === true || payload.email_verified === "true";
  return {
    subject,
    email,
    emailVerified: email !== "" && verified,
    // What the verified signature covers (or the jti), never the token's text: replay.ts.
    spentKey: spentKeyOf(provider.issuer, payload.jti, idToken),
    // exp is a required claim, checked a number by jwtVerify.
    spentUntil: ((payload.exp as number) + CLOCK_SKEW_SECONDS) * 1000,
  };
}

/** §3.1.3.7 (4, 5): several audiences need an `azp`, and an `azp` must be one of our client ids. */
function checkAuthorizedParty(provider: OidcProviderConfig, payload: Record<string, unknown>): void {
  const { aud, azp } = payload;
  if (azp !== undefined && (typeof azp !== "string" || !provider.clientIds.includes(azp))) {
    throw invalid("azp is not one of our client ids");
  }
  if (Array.isArray(aud) && aud.length > 1 && azp === undefined) {
    throw invalid("has several audiences and no azp");
  }
}

/**
 * A nonce given must match the token's. A token that carries a nonce is accepted only with it: the
 * nonce binds the token to the sign-in that asked for it (OpenID Connect Core §15.5.2), and one
 * replayed without it would dodge that binding.
 */
function checkNonce(claim: unknown, given: string): void {
  if (given === "") {
    if (claim !== undefined) throw invalidArgument("nonce", "is required: the ID token carries one");
    return;
  }
  if (typeof claim !== "string" || !safeEqual(claim, given)) {
    throw invalid("the nonce does not match");
  }
}

function explain(error: unknown): Error {
  if (error instanceof ProviderUnavailableError) {
    return unavailable("the identity provider's keys cannot be fetched right now; try again later");
  }
  if (error instanceof errors.JWTExpired) return invalid(`has expired (${error.claim} check failed)`);
  if (error instanceof errors.JWTClaimValidationFailed)
    return invalid(`the ${error.claim} claim is not acceptable`);
  if (error instanceof errors.JOSEAlgNotAllowed) return invalid("its algorithm is not allowed");
  if (error instanceof errors.JWKSNoMatchingKey)
    return invalid("is signed by a key the provider does not publish");
  if (error instanceof errors.JWSSignatureVerificationFailed) return invalid("the signature does not verify");
  if (error instanceof errors.JOSEError) return invalid("is not a valid signed JWT");
  return error as Error;
}
