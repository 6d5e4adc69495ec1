// The few CBOR (RFC 8949) encodings a WebAuthn authenticator writes: unsigned and negative integers,
// byte strings, text strings, arrays and maps. Enough for a COSE public key and an attestation object;
// nothing here decodes (the relying party under test does that, with its own library).
//
// Maps are written in CTAP2's canonical order (CTAP 2.1, §8 "Message Encoding"): keys sorted by their
// encoded bytes, shorter encodings first, then bytewise. Authenticators must do so, and a relying party
// that re-encodes what it decoded (SimpleWebAuthn does, for the credential public key) gets the same
// bytes back only if the order was canonical to begin with.

export type CborValue = number | string | Uint8Array | CborValue[] | Map<number | string, CborValue>;

/** Major types (RFC 8949 §3.1): the top three bits of the first byte. */
const UNSIGNED = 0;
const NEGATIVE = 1;
const BYTES = 2;
const TEXT = 3;
const ARRAY = 4;
const MAP = 5;

/**
 * The head of a data item: its major type and an argument (a value, a length or a count). Arguments
 * below 24 fit in the first byte; larger ones follow it in 1, 2 or 4 bytes, big-endian (additional
 * information 24, 25, 26). Nothing a WebAuthn authenticator writes needs the 8-byte form.
 */
function head(major: number, argument: number): Uint8Array {
  const type = major << 5;
  if (argument < 24) return Uint8Array.of(type | argument);
  if (argument < 0x100) return Uint8Array.of(type | 24, argument);
  if (argument < 0x10000) return Uint8Array.of(type | 25, argument >> 8, argument & 0xff);
  if (argument < 0x100000000) {
    const out = new Uint8Array(5);
    out[0] = type | 26;
    new DataView(out.buffer).setUint32(1, argument);
    return out;
  }
  throw new RangeError(`CBOR argument ${argument} needs the 8-byte form, which this encoder does not write`);
}

function concat(parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

/** Shorter encoded key first, then bytewise: CTAP2's canonical key order. */
function canonicalOrder(a: Uint8Array, b: Uint8Array): number {
  return a.length - b.length || Buffer.compare(a, b);
}

export function encodeCbor(value: CborValue): Uint8Array {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new TypeError(`CBOR integer expected, got ${value}`);
    // A negative integer n is written as major type 1 with argument -1 - n (so -1 is 0x20, -7 is 0x26).
    return value >= 0 ? head(UNSIGNED, value) : head(NEGATIVE, -1 - value);
  }
  if (typeof value === "string") {
    const utf8 = new TextEncoder().encode(value);
    return concat([head(TEXT, utf8.length), utf8]);
  }
  if (value instanceof Uint8Array) return concat([head(BYTES, value.length), value]);
  if (Array.isArray(value)) return concat([head(ARRAY, value.length), ...value.map(encodeCbor)]);
  const entries = [...value].map(([key, item]) => ({ key: encodeCbor(key), item: encodeCbor(item) }));
  entries.sort((a, b) => canonicalOrder(a.key, b.key));
  return concat([head(MAP, entries.length), ...entries.flatMap((e) => [e.key, e.item])]);
}
