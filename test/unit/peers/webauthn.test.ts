// The software WebAuthn authenticator the passkey tests use, proven against @simplewebauthn/server's
// own verification (no authd here): what it answers verifies, each browser refusal it plays is the
// one a page would see, and each forgery it can make is refused by the library with the error it
// reports for that attack.
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type RegistrationResponseJSON,
  type VerifiedRegistrationResponse,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type WebAuthnCredential,
} from "@simplewebauthn/server";
import { describe, expect, test } from "vitest";
import { type CborValue, encodeCbor } from "../../helpers/peers/cbor.js";
import { type CeremonyKnobs, SoftwareAuthenticator } from "../../helpers/peers/webauthn-authenticator.js";

const ORIGIN = "http://localhost:8080";
const RP_ID = "localhost";
const USER_ID = Uint8Array.from([7, 7, 7, 1, 2, 3, 4, 5]);

async function registrationOptions(extra: Partial<Parameters<typeof generateRegistrationOptions>[0]> = {}) {
  return generateRegistrationOptions({
    rpName: "authd",
    rpID: RP_ID,
    userName: "ada@example.com",
    userID: USER_ID,
    authenticatorSelection: { residentKey: "required", userVerification: "required" },
    ...extra,
  });
}

/** Registers one credential and answers what the relying party would store of it. */
async function register(
  authenticator: SoftwareAuthenticator,
  knobs: CeremonyKnobs = {},
  expected: { origin?: string; rpId?: string } = {},
): Promise<{
  response: RegistrationResponseJSON;
  verified: VerifiedRegistrationResponse;
  stored: WebAuthnCredential;
}> {
  const options = await registrationOptions();
  const response = await authenticator.create(options, knobs);
  const verified = await verifyRegistrationResponse({
    response,
    expectedChallenge: options.challenge,
    expectedOrigin: expected.origin ?? ORIGIN,
    expectedRPID: expected.rpId ?? RP_ID,
  });
  const info = verified.registrationInfo!;
  return { response, verified, stored: { ...info.credential } };
}

async function authenticate(
  authenticator: SoftwareAuthenticator,
  stored: WebAuthnCredential,
  knobs: CeremonyKnobs = {},
  options: { allow?: boolean; requireUserVerification?: boolean; expectedChallenge?: string } = {},
) {
  const request = await generateAuthenticationOptions({
    rpID: RP_ID,
    userVerification: "required",
    allowCredentials: options.allow ? [{ id: stored.id }] : [],
  });
  const response = await authenticator.get(request, knobs);
  const result = await verifyAuthenticationResponse({
    response,
    expectedChallenge: options.expectedChallenge ?? request.challenge,
    expectedOrigin: ORIGIN,
    expectedRPID: RP_ID,
    credential: stored,
    requireUserVerification: options.requireUserVerification ?? true,
  });
  return { request, response, result };
}

describe("the CBOR encoder", () => {
  test("writes RFC 8949 Appendix A's examples byte for byte", () => {
    const hex = (value: CborValue) => Buffer.from(encodeCbor(value)).toString("hex");
    expect(hex(0)).toBe("00");
    expect(hex(23)).toBe("17");
    expect(hex(24)).toBe("1818");
    expect(hex(100)).toBe("1864");
    expect(hex(1000)).toBe("1903e8");
    expect(hex(1000000)).toBe("1a000f4240");
    expect(hex(-1)).toBe("20");
    expect(hex(-10)).toBe("29");
    expect(hex(-100)).toBe("3863");
    expect(hex(-1000)).toBe("3903e7");
    expect(hex("")).toBe("60");
    expect(hex("IETF")).toBe("6449455446");
    expect(hex("ü")).toBe("62c3bc");
    expect(hex(Uint8Array.of(1, 2, 3, 4))).toBe("4401020304");
    expect(hex([1, [2, 3], [4, 5]])).toBe("8301820203820405");
    expect(
      hex(
        new Map<string, CborValue>([
          ["a", 1],
          ["b", [2, 3]],
        ]),
      ),
    ).toBe("a26161016162820203");
  });

  test("writes map keys in CTAP2's canonical order whatever order they were given in", () => {
    // A COSE key's labels: 1, 3, -1, -2, -3 encode as 01, 03, 20, 21, 22.
    const key = new Map<number, number>([
      [-3, 0],
      [-1, 0],
      [3, 0],
      [-2, 0],
      [1, 0],
    ]);
    expect(Buffer.from(encodeCbor(key)).toString("hex")).toBe("a501000300200021002200");
    // Shorter encodings first: "fmt" before "attStmt" before "authData".
    const attestation = new Map<string, number>([
      ["authData", 0],
      ["fmt", 0],
      ["attStmt", 0],
    ]);
    const bytes = Buffer.from(encodeCbor(attestation)).toString("latin1");
    expect(bytes.indexOf("fmt")).toBeLessThan(bytes.indexOf("attStmt"));
    expect(bytes.indexOf("attStmt")).toBeLessThan(bytes.indexOf("authData"));
  });
});

describe("an honest software authenticator", () => {
  test("registers a passkey that SimpleWebAuthn verifies: none attestation, ES256, counter 0, user verified", async () => {
    const authenticator = new SoftwareAuthenticator({ origin: ORIGIN });
    const { response, verified } = await register(authenticator);
    expect(verified.verified).toBe(true);
    const info = verified.registrationInfo!;
    expect(info.fmt).toBe("none");
    expect(info.credential.id).toBe(response.id);
    expect(info.credential.counter).toBe(0);
    expect(info.userVerified).toBe(true);
    expect(info.credentialDeviceType).toBe("singleDevice");
    expect(info.credentialBackedUp).toBe(false);
    expect(info.rpID).toBe(RP_ID);
    expect(info.origin).toBe(ORIGIN);
    expect(info.aaguid).toBe("00000000-0000-0000-0000-000000000000");
    expect(response.response.publicKeyAlgorithm).toBe(-7);
    expect(response.response.transports).toEqual(["internal", "hybrid"]);
  });

  test("signs in with allowCredentials, the counter rising by one each time", async () => {
    const authenticator = new SoftwareAuthenticator({ origin: ORIGIN });
    const { stored } = await register(authenticator);
    const first = await authenticate(authenticator, stored, {}, { allow: true });
    expect(first.result.verified).toBe(true);
    expect(first.result.authenticationInfo.newCounter).toBe(1);
    expect(first.result.authenticationInfo.userVerified).toBe(true);
    stored.counter = first.result.authenticationInfo.newCounter;
    const second = await authenticate(authenticator, stored, {}, { allow: true });
    expect(second.result.verified).toBe(true);
    expect(second.result.authenticationInfo.newCounter).toBe(2);
  });

  test("signs in without a username (no allowCredentials) and names its user by the registration's user id", async () => {
    const authenticator = new SoftwareAuthenticator({ origin: ORIGIN });
    const { stored } = await register(authenticator);
    const { request, response, result } = await authenticate(authenticator, stored);
    expect(request.allowCredentials).toEqual([]);
    expect(result.verified).toBe(true);
    expect(response.id).toBe(stored.id);
    expect(response.response.userHandle).toBe(Buffer.from(USER_ID).toString("base64url"));
  });

  test("a credential made without a resident key answers only when listed, and carries no user handle", async () => {
    const authenticator = new SoftwareAuthenticator({ origin: ORIGIN });
    const options = await registrationOptions({
      authenticatorSelection: { residentKey: "discouraged", userVerification: "required" },
      extensions: { credProps: true },
    });
    const response = await authenticator.create(options);
    expect(response.clientExtensionResults).toEqual({ credProps: { rk: false } });
    const verified = await verifyRegistrationResponse({
      response,
      expectedChallenge: options.challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
    });
    const stored = verified.registrationInfo!.credential;
    await expect(authenticate(authenticator, stored)).rejects.toMatchObject({ name: "NotAllowedError" });
    const listed = await authenticate(authenticator, stored, {}, { allow: true });
    expect(listed.result.verified).toBe(true);
    expect(listed.response.response.userHandle).toBeUndefined();
  });

  test("with two passkeys for one site, a discoverable sign-in picks the newest unless told which", async () => {
    const authenticator = new SoftwareAuthenticator({ origin: ORIGIN });
    const older = await register(authenticator);
    const newer = await register(authenticator);
    const request = await generateAuthenticationOptions({ rpID: RP_ID });
    expect((await authenticator.get(request)).id).toBe(newer.stored.id);
    expect((await authenticator.get(request, { credentialId: older.stored.id })).id).toBe(older.stored.id);
  });

  test("makes Ed25519 passkeys when it is given that algorithm, and they verify", async () => {
    const authenticator = new SoftwareAuthenticator({ origin: ORIGIN, algorithms: ["Ed25519"] });
    const { response, stored } = await register(authenticator);
    expect(response.response.publicKeyAlgorithm).toBe(-8);
    const { result } = await authenticate(authenticator, stored);
    expect(result.verified).toBe(true);
  });

  test("follows the relying party's order of algorithms (SimpleWebAuthn's default lists EdDSA first)", async () => {
    const authenticator = new SoftwareAuthenticator({ origin: ORIGIN, algorithms: ["ES256", "Ed25519"] });
    const { response } = await register(authenticator);
    expect(response.response.publicKeyAlgorithm).toBe(-8);
  });

  test("uses an RP ID that is a parent domain of the page's host", async () => {
    const origin = "https://login.example.com";
    const authenticator = new SoftwareAuthenticator({ origin });
    const options = await registrationOptions({ rpID: "example.com" });
    const response = await authenticator.create(options);
    const verified = await verifyRegistrationResponse({
      response,
      expectedChallenge: options.challenge,
      expectedOrigin: origin,
      expectedRPID: "example.com",
    });
    expect(verified.verified).toBe(true);
  });

  test("a signature the authenticator did not make does not verify", async () => {
    const authenticator = new SoftwareAuthenticator({ origin: ORIGIN });
    const { stored } = await register(authenticator);
    const request = await generateAuthenticationOptions({ rpID: RP_ID });
    const response = await authenticator.get(request);
    const signature = Buffer.from(response.response.signature, "base64url");
    signature[signature.length - 1] = (signature[signature.length - 1] ?? 0) ^ 1;
    const result = await verifyAuthenticationResponse({
      response: {
        ...response,
        response: { ...response.response, signature: signature.toString("base64url") },
      },
      expectedChallenge: request.challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      credential: stored,
    });
    expect(result.verified).toBe(false);
  });
});

describe("what the browser refuses before the authenticator signs", () => {
  // Chromium answers the same ("SecurityError: This is an invalid domain."): passkey tests run at localhost.
  test("a page at an IP address cannot use WebAuthn at all, loopback included", async () => {
    const authenticator = new SoftwareAuthenticator({ origin: "http://127.0.0.1:8080" });
    await expect(
      authenticator.create(await registrationOptions({ rpID: "127.0.0.1" })),
    ).rejects.toMatchObject({
      name: "SecurityError",
      message: expect.stringContaining("IP address"),
    });
  });

  test("plain http outside localhost is not a secure context", async () => {
    const authenticator = new SoftwareAuthenticator({ origin: "http://example.com" });
    await expect(
      authenticator.create(await registrationOptions({ rpID: "example.com" })),
    ).rejects.toMatchObject({
      name: "SecurityError",
      message: expect.stringContaining("not a secure context"),
    });
  });

  test("an RP ID that is not the page's host nor a parent of it", async () => {
    const authenticator = new SoftwareAuthenticator({ origin: ORIGIN });
    await expect(
      authenticator.create(await registrationOptions({ rpID: "example.com" })),
    ).rejects.toMatchObject({
      name: "SecurityError",
    });
    const request = await generateAuthenticationOptions({ rpID: "example.com" });
    await expect(authenticator.get(request)).rejects.toMatchObject({ name: "SecurityError" });
  });

  test("registering again where excludeCredentials lists a credential it holds", async () => {
    const authenticator = new SoftwareAuthenticator({ origin: ORIGIN });
    const { stored } = await register(authenticator);
    const options = await registrationOptions({ excludeCredentials: [{ id: stored.id }] });
    await expect(authenticator.create(options)).rejects.toMatchObject({ name: "InvalidStateError" });
  });

  test("user verification required of an authenticator that cannot verify", async () => {
    const authenticator = new SoftwareAuthenticator({ origin: ORIGIN, userVerification: false });
    await expect(authenticator.create(await registrationOptions())).rejects.toMatchObject({
      name: "NotAllowedError",
    });
  });

  test("no offered algorithm it can make", async () => {
    const authenticator = new SoftwareAuthenticator({ origin: ORIGIN });
    const options = await registrationOptions({ supportedAlgorithmIDs: [-257] });
    await expect(authenticator.create(options)).rejects.toMatchObject({ name: "NotSupportedError" });
  });
});

describe("each forgery is refused by SimpleWebAuthn with the error it reports for it", () => {
  test("a wrong origin", async () => {
    const authenticator = new SoftwareAuthenticator({ origin: ORIGIN });
    await expect(register(authenticator, { origin: "https://evil.example" })).rejects.toThrow(
      'Unexpected registration response origin "https://evil.example", expected "http://localhost:8080"',
    );
    const { stored } = await register(authenticator);
    await expect(authenticate(authenticator, stored, { origin: "https://evil.example" })).rejects.toThrow(
      'Unexpected authentication response origin "https://evil.example"',
    );
  });

  test("a wrong RP ID", async () => {
    const authenticator = new SoftwareAuthenticator({ origin: ORIGIN });
    await expect(register(authenticator, { rpId: "evil.example" })).rejects.toThrow("Unexpected RP ID hash");
    const { stored } = await register(authenticator);
    await expect(authenticate(authenticator, stored, { rpId: "evil.example" })).rejects.toThrow(
      "Unexpected RP ID hash",
    );
  });

  test("user verification off", async () => {
    const authenticator = new SoftwareAuthenticator({ origin: ORIGIN });
    await expect(register(authenticator, { userVerified: false })).rejects.toThrow(
      "User verification was required, but user could not be verified",
    );
    const { stored } = await register(authenticator);
    await expect(authenticate(authenticator, stored, { userVerified: false })).rejects.toThrow(
      "User verification required, but user could not be verified",
    );
    // Where the relying party does not require it, the assertion verifies and says it was not verified.
    const lenient = await authenticate(
      authenticator,
      stored,
      { userVerified: false },
      { requireUserVerification: false },
    );
    expect(lenient.result.verified).toBe(true);
    expect(lenient.result.authenticationInfo.userVerified).toBe(false);
  });

  test("user presence off", async () => {
    const authenticator = new SoftwareAuthenticator({ origin: ORIGIN });
    const { stored } = await register(authenticator);
    await expect(authenticate(authenticator, stored, { userPresent: false })).rejects.toThrow(
      "User not present during authentication",
    );
  });

  test("a counter set backwards", async () => {
    const authenticator = new SoftwareAuthenticator({ origin: ORIGIN });
    const { stored } = await register(authenticator);
    for (let i = 0; i < 3; i++) {
      const { result } = await authenticate(authenticator, stored);
      stored.counter = result.authenticationInfo.newCounter;
    }
    expect(stored.counter).toBe(3);
    await expect(authenticate(authenticator, stored, { signCount: 1 })).rejects.toThrow(
      "Response counter value 1 was lower than expected 3",
    );
    // Equal is as bad as lower: the same counter twice is a replayed or cloned authenticator.
    await expect(authenticate(authenticator, stored, { signCount: 3 })).rejects.toThrow(
      "Response counter value 3 was lower than expected 3",
    );
  });

  test("a cloned authenticator replays counter values the relying party has seen", async () => {
    const original = new SoftwareAuthenticator({ origin: ORIGIN });
    const { stored } = await register(original);
    const clone = original.clone();
    for (let i = 0; i < 2; i++) {
      const { result } = await authenticate(original, stored);
      stored.counter = result.authenticationInfo.newCounter;
    }
    expect(clone.credential(stored.id).signCount).toBe(0);
    await expect(authenticate(clone, stored)).rejects.toThrow(
      "Response counter value 1 was lower than expected 2",
    );
  });

  test("an authenticator whose counter stays at zero (a synced passkey) is never caught by the counter", async () => {
    const authenticator = new SoftwareAuthenticator({ origin: ORIGIN, signCount: "zero" });
    const { stored } = await register(authenticator);
    for (let i = 0; i < 2; i++) {
      const { result } = await authenticate(authenticator, stored);
      expect(result.verified).toBe(true);
      expect(result.authenticationInfo.newCounter).toBe(0);
    }
  });

  test("a challenge already answered, signed again", async () => {
    const authenticator = new SoftwareAuthenticator({ origin: ORIGIN });
    const { stored } = await register(authenticator);
    const first = await authenticate(authenticator, stored);
    stored.counter = first.result.authenticationInfo.newCounter;
    await expect(authenticate(authenticator, stored, { challenge: first.request.challenge })).rejects.toThrow(
      `Unexpected authentication response challenge "${first.request.challenge}"`,
    );
    // The library checks only the challenge it is given: refusing a reused one is the relying party's job.
    const replayed = await verifyAuthenticationResponse({
      response: await authenticator.get(first.request),
      expectedChallenge: first.request.challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      credential: stored,
    });
    expect(replayed.verified).toBe(true);
  });

  test("backup flags: BE and BS make a backed-up multi-device passkey; BS without BE is refused", async () => {
    const synced = new SoftwareAuthenticator({ origin: ORIGIN, backupEligible: true, backupState: true });
    const { verified, stored } = await register(synced);
    expect(verified.registrationInfo!.credentialDeviceType).toBe("multiDevice");
    expect(verified.registrationInfo!.credentialBackedUp).toBe(true);
    const { result } = await authenticate(synced, stored);
    expect(result.authenticationInfo.credentialDeviceType).toBe("multiDevice");
    expect(result.authenticationInfo.credentialBackedUp).toBe(true);
    // Eligible but not yet backed up.
    const eligible = await authenticate(synced, stored, { backupState: false });
    expect(eligible.result.authenticationInfo.credentialBackedUp).toBe(false);

    const device = new SoftwareAuthenticator({ origin: ORIGIN });
    await expect(register(device, { backupState: true })).rejects.toThrow(
      "Single-device credential indicated that it was backed up, which should be impossible.",
    );
  });
});
