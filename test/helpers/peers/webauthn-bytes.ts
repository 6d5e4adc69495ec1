// The bytes of WebAuthn (Level 3, https://www.w3.org/TR/webauthn-3/) that a client and an
// authenticator write, each function one structure of the specification, written by hand from it:
// clientDataJSON, authenticatorData with its flags and attested credential data, the COSE public key,
// the "none" attestation object, and the assertion signature.
import { createHash, generateKeyPairSync, type KeyObject, sign as signWith } from "node:crypto";
import { type CborValue, encodeCbor } from "./cbor.js";

export type AuthenticatorAlgorithm = "ES256" | "Ed25519";

/** COSE algorithm identifiers (IANA "COSE Algorithms"), as pubKeyCredParams names them. */
export const COSE_ALGORITHM: Record<AuthenticatorAlgorithm, number> = { ES256: -7, Ed25519: -8 };

/** The flag bits of authenticatorData (WebAuthn §6.1, "flags"). Bits 1 and 5 are reserved (zero). */
export const FLAG = {
  UP: 0x01, // user present: someone touched or clicked
  UV: 0x04, // user verified: PIN, fingerprint or face
  BE: 0x08, // backup eligible: the credential may be synced to other devices (a multi-device passkey)
  BS: 0x10, // backup state: it is synced now (only meaningful with BE)
  AT: 0x40, // attested credential data follows the counter (registration only)
  ED: 0x80, // extension data follows (never set here)
} as const;

export const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64url");
export const fromB64url = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, "base64url"));
export const sha256 = (bytes: Uint8Array | string): Uint8Array =>
  Uint8Array.from(createHash("sha256").update(bytes).digest());
export const concat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(parts));

/**
 * clientDataJSON (WebAuthn §5.8.1): the browser's statement of what was asked and where. The member
 * order (type, challenge, origin, crossOrigin) is the one §5.8.1.1 fixes, so that a relying party
 * could check it without a JSON parser. The challenge is re-encoded from its bytes, as a browser does
 * (the options carry it base64url; the browser decodes it to a BufferSource and encodes it back).
 */
export function clientDataJSON(type: string, challenge: string, origin: string): Uint8Array {
  const json = JSON.stringify({
    type,
    challenge: b64url(fromB64url(challenge)),
    origin,
    crossOrigin: false,
  });
  return new TextEncoder().encode(json);
}

/**
 * The credential public key as a COSE_Key (RFC 9052 §7, RFC 9053), CBOR-encoded. Labels: 1 kty,
 * 3 alg, -1 crv, -2 x, -3 y. EC2 (kty 2) on P-256 (crv 1) carries both coordinates, 32 bytes each;
 * OKP (kty 1) on Ed25519 (crv 6) carries the 32-byte public key as x.
 */
export function coseKey(algorithm: AuthenticatorAlgorithm, publicKey: KeyObject): Uint8Array {
  const jwk = publicKey.export({ format: "jwk" });
  const x = fromB64url(jwk.x ?? "");
  if (algorithm === "Ed25519") {
    return encodeCbor(
      new Map<number, number | Uint8Array>([
        [1, 1],
        [3, COSE_ALGORITHM.Ed25519],
        [-1, 6],
        [-2, x],
      ]),
    );
  }
  return encodeCbor(
    new Map<number, number | Uint8Array>([
      [1, 2],
      [3, COSE_ALGORITHM.ES256],
      [-1, 1],
      [-2, x],
      [-3, fromB64url(jwk.y ?? "")],
    ]),
  );
}

/** A big-endian unsigned 32-bit integer: the signature counter's encoding in authenticatorData. */
function uint32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

/** A big-endian unsigned 16-bit integer: the credential id's length in attested credential data. */
function uint16(value: number): Uint8Array {
  return Uint8Array.of(value >> 8, value & 0xff);
}

/**
 * authenticatorData (WebAuthn §6.1): SHA-256 of the RP ID (32 bytes: the relying party checks it is
 * its own), the flags (1 byte), the signature counter (4 bytes), then, at registration only, the
 * attested credential data. No extensions follow (the ED flag is never set).
 */
export function authenticatorData(
  rpId: string,
  flags: number,
  signCount: number,
  attested?: Uint8Array,
): Uint8Array {
  return concat(sha256(rpId), Uint8Array.of(flags), uint32(signCount), attested ?? new Uint8Array());
}

/**
 * The assertion signature (WebAuthn §6.3.3 step 11) over authenticatorData || SHA-256(clientDataJSON).
 * ES256 signatures are DER-encoded ECDSA-Sig-Value (§6.5.5), which is node's default for EC keys;
 * Ed25519 signs the message itself (no prehash: the algorithm argument is null).
 */
export function signAssertion(
  algorithm: AuthenticatorAlgorithm,
  privateKey: KeyObject,
  data: Uint8Array,
): Uint8Array {
  if (algorithm === "Ed25519") return Uint8Array.from(signWith(null, data, privateKey));
  return Uint8Array.from(signWith("sha256", data, { key: privateKey, dsaEncoding: "der" }));
}

export function newKeyPair(algorithm: AuthenticatorAlgorithm): {
  privateKey: KeyObject;
  publicKey: KeyObject;
} {
  return algorithm === "Ed25519"
    ? generateKeyPairSync("ed25519")
    : generateKeyPairSync("ec", { namedCurve: "P-256" });
}

/**
 * Attested credential data (WebAuthn §6.5.1), which follows the counter at registration: the AAGUID
 * (16 bytes), the credential id's length (2 bytes) and the id, then the COSE public key.
 */
export function attestedCredentialData(
  aaguid: Uint8Array,
  credentialId: Uint8Array,
  algorithm: AuthenticatorAlgorithm,
  publicKey: KeyObject,
): Uint8Array {
  return concat(aaguid, uint16(credentialId.length), credentialId, coseKey(algorithm, publicKey));
}

/** The attestation object (§6.5): fmt "none" carries an empty statement (§8.7). */
export function noneAttestationObject(authData: Uint8Array): Uint8Array {
  return encodeCbor(
    new Map<string, CborValue>([
      ["fmt", "none"],
      ["attStmt", new Map()],
      ["authData", authData],
    ]),
  );
}
