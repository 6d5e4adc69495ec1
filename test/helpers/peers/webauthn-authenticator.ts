// A software WebAuthn authenticator, together with the part of the browser that talks to it: it takes
// the options a relying party hands to navigator.credentials.create() / .get() in their JSON forms
// (PublicKeyCredentialCreationOptionsJSON / PublicKeyCredentialRequestOptionsJSON) and answers what
// PublicKeyCredential.toJSON() gives the page (RegistrationResponseJSON / AuthenticationResponseJSON),
// the shapes @simplewebauthn/server verifies and @simplewebauthn/browser returns.
//
// Keys are node:crypto keys (ES256 on P-256 by default, Ed25519 on request); the bytes are written here,
// by hand, following WebAuthn Level 3 (https://www.w3.org/TR/webauthn-3/): no authenticator library, so
// a test proves the relying party against the specification, not against a second copy of its own
// parsing code. Attestation is always "none" (what authd asks for, and what passkey providers send).
//
// The honest path does what a browser and a platform authenticator do, refusals included (the error
// names are the DOMException names a page sees). The knobs (`CeremonyKnobs`) forge what is signed, after
// the honest checks, to play the attacks a relying party must refuse.
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign as signWith } from "node:crypto";
import { isIP } from "node:net";
import type {
  AuthenticationResponseJSON,
  AuthenticatorTransport,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from "@simplewebauthn/server";
import { type CborValue, encodeCbor } from "./cbor.js";

export type AuthenticatorAlgorithm = "ES256" | "Ed25519";

/** COSE algorithm identifiers (IANA "COSE Algorithms"), as pubKeyCredParams names them. */
const COSE_ALGORITHM: Record<AuthenticatorAlgorithm, number> = { ES256: -7, Ed25519: -8 };

/** The flag bits of authenticatorData (WebAuthn §6.1, "flags"). Bits 1 and 5 are reserved (zero). */
const FLAG = {
  UP: 0x01, // user present: someone touched or clicked
  UV: 0x04, // user verified: PIN, fingerprint or face
  BE: 0x08, // backup eligible: the credential may be synced to other devices (a multi-device passkey)
  BS: 0x10, // backup state: it is synced now (only meaningful with BE)
  AT: 0x40, // attested credential data follows the counter (registration only)
  ED: 0x80, // extension data follows (never set here)
} as const;

export interface AuthenticatorOptions {
  /** The page's origin, as the browser reports it in clientDataJSON (scheme, host and port). */
  origin: string;
  /** What it can make, in no particular order; the relying party's order of preference decides. */
  algorithms?: AuthenticatorAlgorithm[];
  /** 16 bytes naming the authenticator's model. Default: all zero (as many "none" attestations say). */
  aaguid?: Uint8Array;
  /** Whether it can verify the user (PIN, biometrics). Default true, as a platform passkey provider. */
  userVerification?: boolean;
  /** BE and BS of the credentials it makes (a synced passkey has both). Default false. */
  backupEligible?: boolean;
  backupState?: boolean;
  /** "increment": a counter per credential, +1 per assertion (a security key); "zero": always 0 (synced passkeys). */
  signCount?: "increment" | "zero";
  /** authenticatorAttachment and transports it reports. Default "platform" and ["internal", "hybrid"]. */
  attachment?: "platform" | "cross-platform";
  transports?: AuthenticatorTransport[];
}

/** Forgeries for one ceremony: each replaces what an honest client and authenticator would sign. */
export interface CeremonyKnobs {
  /** clientDataJSON.origin (a phishing page's origin). */
  origin?: string;
  /** The RP ID whose SHA-256 goes into authenticatorData (a credential made for another site). */
  rpId?: string;
  /** clientDataJSON.challenge (e.g. one already answered: a replay). Base64url, as in the options. */
  challenge?: string;
  /** The UP and UV flags, whatever was asked. */
  userPresent?: boolean;
  userVerified?: boolean;
  /** The BE and BS flags, whatever the authenticator is. */
  backupEligible?: boolean;
  backupState?: boolean;
  /** The signature counter to sign (get only); the credential keeps it, as a reset authenticator would. */
  signCount?: number;
  /** Which credential answers a get() when several could (base64url id). Default: the newest. */
  credentialId?: string;
}

/** A credential this authenticator holds: the private key never leaves it. */
export interface SoftwareCredential {
  /** base64url, as the relying party stores it. */
  id: string;
  rpId: string;
  /** user.id of the registration (base64url); answered as userHandle when discoverable. */
  userHandle: string;
  /** Made as a resident (discoverable) credential: usable without allowCredentials, with its user handle. */
  discoverable: boolean;
  algorithm: AuthenticatorAlgorithm;
  signCount: number;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64url");
const fromB64url = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, "base64url"));
const sha256 = (bytes: Uint8Array | string): Uint8Array =>
  Uint8Array.from(createHash("sha256").update(bytes).digest());
const concat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(parts));

/** What a page sees when the browser refuses: a DOMException with the specification's name. */
function refusal(name: string, message: string): DOMException {
  return new DOMException(message, name);
}

/**
 * The browser's checks of an RP ID against the page (WebAuthn §5.1.3 steps 7-8, §5.1.4.1 steps 8-9):
 * only a secure context may call WebAuthn (https, or http on localhost); the page's host must be a
 * domain, not an IP address (so http://127.0.0.1 cannot use passkeys; http://localhost can); and the
 * RP ID must be that host or a registrable suffix of it. The suffix check here stops short of the
 * Public Suffix List: any parent domain with a dot is accepted ("com" alone is not).
 */
function checkRpId(origin: string, rpId: string): void {
  const url = new URL(origin);
  const host = url.hostname;
  const local = host === "localhost" || host.endsWith(".localhost");
  if (url.protocol !== "https:" && !(url.protocol === "http:" && local)) {
    throw refusal("SecurityError", `${origin} is not a secure context`);
  }
  if (isIP(host.replace(/^\[|\]$/g, "")) !== 0) {
    throw refusal("SecurityError", `${host} is an IP address, not a valid domain for WebAuthn`);
  }
  const suffix = host.endsWith(`.${rpId}`) && (rpId.includes(".") || rpId === "localhost");
  if (host !== rpId && !suffix) {
    throw refusal("SecurityError", `the RP ID ${rpId} is not ${host} nor a registrable suffix of it`);
  }
}

/**
 * clientDataJSON (WebAuthn §5.8.1): the browser's statement of what was asked and where. The member
 * order (type, challenge, origin, crossOrigin) is the one §5.8.1.1 fixes, so that a relying party
 * could check it without a JSON parser. The challenge is re-encoded from its bytes, as a browser does
 * (the options carry it base64url; the browser decodes it to a BufferSource and encodes it back).
 */
function clientDataJSON(type: string, challenge: string, origin: string): Uint8Array {
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
function coseKey(algorithm: AuthenticatorAlgorithm, publicKey: KeyObject): Uint8Array {
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
 * authenticatorData (WebAuthn §6.1): SHA-256 of the RP ID (32 bytes), the flags (1 byte), the
 * signature counter (4 bytes), then, at registration only, the attested credential data (§6.5.1):
 * AAGUID (16 bytes), the credential id's length (2 bytes) and the id, and the COSE public key.
 */
function authenticatorData(
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
function signAssertion(credential: SoftwareCredential, data: Uint8Array): Uint8Array {
  if (credential.algorithm === "Ed25519") return Uint8Array.from(signWith(null, data, credential.privateKey));
  return Uint8Array.from(signWith("sha256", data, { key: credential.privateKey, dsaEncoding: "der" }));
}

function newKeyPair(algorithm: AuthenticatorAlgorithm): { privateKey: KeyObject; publicKey: KeyObject } {
  return algorithm === "Ed25519"
    ? generateKeyPairSync("ed25519")
    : generateKeyPairSync("ec", { namedCurve: "P-256" });
}

export class SoftwareAuthenticator {
  readonly origin: string;
  readonly options: Required<AuthenticatorOptions>;
  /** Every credential it made, oldest first (a test may read or edit the counters). */
  readonly credentials: SoftwareCredential[] = [];

  constructor(options: AuthenticatorOptions) {
    this.origin = new URL(options.origin).origin;
    this.options = {
      algorithms: ["ES256"],
      aaguid: new Uint8Array(16),
      userVerification: true,
      backupEligible: false,
      backupState: false,
      signCount: "increment",
      attachment: "platform",
      transports: ["internal", "hybrid"],
      ...options,
    };
    if (this.options.aaguid.length !== 16) throw new RangeError("an AAGUID is 16 bytes");
  }

  /**
   * Another authenticator holding the same keys and counters: a cloned (or exported and imported)
   * authenticator. Each copy counts on its own from here, so the copy that signs second replays
   * counter values the relying party has already seen.
   */
  clone(): SoftwareAuthenticator {
    const copy = new SoftwareAuthenticator(this.options);
    copy.credentials.push(...this.credentials.map((c) => ({ ...c })));
    return copy;
  }

  credential(id: string): SoftwareCredential {
    const found = this.credentials.find((c) => c.id === id);
    if (!found) throw new Error(`no credential ${id} on this authenticator`);
    return found;
  }

  /** navigator.credentials.create({ publicKey }) then .toJSON(). */
  async create(
    options: PublicKeyCredentialCreationOptionsJSON,
    knobs: CeremonyKnobs = {},
  ): Promise<RegistrationResponseJSON> {
    const rpId = options.rp.id ?? new URL(this.origin).hostname;
    checkRpId(this.origin, rpId);
    const selection = options.authenticatorSelection ?? {};
    // The relying party lists algorithms by preference; the first this authenticator can make wins.
    const param = options.pubKeyCredParams.find((p) =>
      this.options.algorithms.some((a) => COSE_ALGORITHM[a] === p.alg),
    );
    if (!param) throw refusal("NotSupportedError", "no offered algorithm is supported");
    const algorithm = this.options.algorithms.find((a) => COSE_ALGORITHM[a] === param.alg)!;
    // excludeCredentials: this authenticator already holds one of the user's credentials for this RP.
    const excluded = new Set((options.excludeCredentials ?? []).map((c) => c.id));
    if (this.credentials.some((c) => c.rpId === rpId && excluded.has(c.id))) {
      throw refusal("InvalidStateError", "the authenticator already holds an excluded credential");
    }
    if (selection.userVerification === "required" && !this.options.userVerification) {
      throw refusal("NotAllowedError", "user verification was required and this authenticator cannot do it");
    }
    // residentKey wins over the older requireResidentKey; absent both, the default is "discouraged".
    const residentKey = selection.residentKey ?? (selection.requireResidentKey ? "required" : "discouraged");
    const { privateKey, publicKey } = newKeyPair(algorithm);
    const credential: SoftwareCredential = {
      id: b64url(randomBytes(32)),
      rpId,
      userHandle: b64url(fromB64url(options.user.id)),
      discoverable: residentKey !== "discouraged",
      algorithm,
      signCount: 0,
      privateKey,
      publicKey,
    };
    const credentialId = fromB64url(credential.id);
    const attested = concat(
      this.options.aaguid,
      uint16(credentialId.length),
      credentialId,
      coseKey(algorithm, publicKey),
    );
    const flags = this.flags(selection.userVerification, knobs) | FLAG.AT;
    const authData = authenticatorData(knobs.rpId ?? rpId, flags, 0, attested);
    // The attestation object (§6.5): fmt "none" carries an empty statement (§8.7).
    const attestationObject = encodeCbor(
      new Map<string, CborValue>([
        ["fmt", "none"],
        ["attStmt", new Map()],
        ["authData", authData],
      ]),
    );
    const clientData = clientDataJSON(
      "webauthn.create",
      knobs.challenge ?? options.challenge,
      knobs.origin ?? this.origin,
    );
    this.credentials.push(credential);
    const credProps = options.extensions?.credProps ? { credProps: { rk: credential.discoverable } } : {};
    return {
      id: credential.id,
      rawId: credential.id,
      type: "public-key",
      authenticatorAttachment: this.options.attachment,
      clientExtensionResults: credProps,
      response: {
        clientDataJSON: b64url(clientData),
        attestationObject: b64url(attestationObject),
        authenticatorData: b64url(authData),
        transports: this.options.transports,
        publicKeyAlgorithm: param.alg,
        publicKey: b64url(publicKey.export({ format: "der", type: "spki" })),
      },
    };
  }

  /** navigator.credentials.get({ publicKey }) then .toJSON(). */
  async get(
    options: PublicKeyCredentialRequestOptionsJSON,
    knobs: CeremonyKnobs = {},
  ): Promise<AuthenticationResponseJSON> {
    const rpId = options.rpId ?? new URL(this.origin).hostname;
    checkRpId(this.origin, rpId);
    if (options.userVerification === "required" && !this.options.userVerification) {
      throw refusal("NotAllowedError", "user verification was required and this authenticator cannot do it");
    }
    // With allowCredentials, any listed credential may answer; without it (a passkey sign-in with no
    // username typed), only discoverable ones can, since the authenticator must find them by RP ID.
    const allowed = new Set((options.allowCredentials ?? []).map((c) => c.id));
    const candidates = this.credentials.filter(
      (c) => c.rpId === rpId && (allowed.size > 0 ? allowed.has(c.id) : c.discoverable),
    );
    const credential = knobs.credentialId
      ? candidates.find((c) => c.id === knobs.credentialId)
      : candidates[candidates.length - 1];
    // A browser says no more than NotAllowedError when nothing answers (it reveals no credentials).
    if (!credential) throw refusal("NotAllowedError", "no credential on this authenticator was acceptable");
    if (knobs.signCount !== undefined) credential.signCount = knobs.signCount;
    else if (this.options.signCount === "increment") credential.signCount += 1;
    const flags = this.flags(options.userVerification, knobs);
    const authData = authenticatorData(knobs.rpId ?? rpId, flags, credential.signCount);
    const clientData = clientDataJSON(
      "webauthn.get",
      knobs.challenge ?? options.challenge,
      knobs.origin ?? this.origin,
    );
    const signature = signAssertion(credential, concat(authData, sha256(clientData)));
    return {
      id: credential.id,
      rawId: credential.id,
      type: "public-key",
      authenticatorAttachment: this.options.attachment,
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64url(clientData),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        // Resident credentials carry their user (CTAP2 returns it); server-side ones have none to give.
        ...(credential.discoverable ? { userHandle: credential.userHandle } : {}),
      },
    };
  }

  /**
   * UP is always set (the test is the user clicking). UV is set when the authenticator can verify and
   * the relying party did not say "discouraged" (then a platform authenticator skips the prompt).
   */
  private flags(userVerification: string | undefined, knobs: CeremonyKnobs): number {
    const verified =
      knobs.userVerified ?? (this.options.userVerification && userVerification !== "discouraged");
    const eligible = knobs.backupEligible ?? this.options.backupEligible;
    const state = knobs.backupState ?? this.options.backupState;
    return (
      ((knobs.userPresent ?? true) ? FLAG.UP : 0) |
      (verified ? FLAG.UV : 0) |
      (eligible ? FLAG.BE : 0) |
      (state ? FLAG.BS : 0)
    );
  }
}
