// A software WebAuthn authenticator, together with the part of the browser that talks to it: it takes
// the options a relying party hands to navigator.credentials.create() / .get() in their JSON forms
// (PublicKeyCredentialCreationOptionsJSON / PublicKeyCredentialRequestOptionsJSON) and answers what
// PublicKeyCredential.toJSON() gives the page (RegistrationResponseJSON / AuthenticationResponseJSON),
// the shapes @simplewebauthn/server verifies and @simplewebauthn/browser returns.
//
// Keys are node:crypto keys (ES256 on P-256 by default, Ed25519 on request); the bytes are written by
// hand from WebAuthn Level 3 (webauthn-bytes.ts, cbor.ts): no authenticator library, so a test proves
// the relying party against the specification, not against a second copy of its own parsing code.
// Attestation is always "none" (what authd asks for, and what passkey providers send).
//
// The honest path does what a browser and a platform authenticator do, refusals included (the error
// names are the DOMException names a page sees). The knobs (`CeremonyKnobs`) forge what is signed, after
// the honest checks, to play the attacks a relying party must refuse.
import { type KeyObject, randomBytes } from "node:crypto";
import { isIP } from "node:net";
import type {
  AuthenticationResponseJSON,
  AuthenticatorTransport,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from "@simplewebauthn/server";
import {
  type AuthenticatorAlgorithm,
  attestedCredentialData,
  authenticatorData,
  b64url,
  COSE_ALGORITHM,
  clientDataJSON,
  concat,
  FLAG,
  fromB64url,
  newKeyPair,
  noneAttestationObject,
  sha256,
  signAssertion,
} from "./webauthn-bytes.js";

export type { AuthenticatorAlgorithm } from "./webauthn-bytes.js";

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

/** A credential this authenticator holds (a relying party only ever sees its public key). */
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
  const ip = isIP(host.replace(/^\[|\]$/g, "")) !== 0;
  // Loopback origins are secure contexts over http too; 127.0.0.1 then fails as an IP address below.
  const loopback =
    host === "localhost" || host.endsWith(".localhost") || host.startsWith("127.") || host === "[::1]";
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw refusal("SecurityError", `${origin} is not a secure context`);
  }
  if (ip) throw refusal("SecurityError", `${host} is an IP address, not a valid domain for WebAuthn`);
  const suffix = host.endsWith(`.${rpId}`) && (rpId.includes(".") || rpId === "localhost");
  if (host !== rpId && !suffix) {
    throw refusal("SecurityError", `the RP ID ${rpId} is not ${host} nor a registrable suffix of it`);
  }
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
    const attested = attestedCredentialData(
      this.options.aaguid,
      fromB64url(credential.id),
      algorithm,
      publicKey,
    );
    // A new credential's counter starts at 0 (Chromium's virtual authenticator starts at 1: both are valid).
    const flags = this.flags(selection.userVerification, knobs) | FLAG.AT;
    const authData = authenticatorData(knobs.rpId ?? rpId, flags, 0, attested);
    const attestationObject = noneAttestationObject(authData);
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
    const signature = signAssertion(
      credential.algorithm,
      credential.privateKey,
      concat(authData, sha256(clientData)),
    );
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
