// AES-256-GCM for the few secrets authd must read back (TOTP secrets). A fresh 96-bit nonce per
// seal; the authentication tag makes any tampering fail to open. The sealed text is versioned so
// the key or algorithm can change later.
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from "node:crypto";

const VERSION = "v1";
const NONCE_BYTES = 12;
/**
 * GCM tags are always 16 bytes here. Node otherwise accepts any tag from 4 bytes up, and a short
 * tag is far easier to forge (NIST SP 800-38D): the length is pinned on both sides.
 */
const TAG_BYTES = 16;

/** A 32-byte key derived (HKDF-SHA256) from the master secret, separated from other uses by `purpose`. */
export function deriveKey(masterSecret: string | Uint8Array, purpose: string): Buffer {
  const ikm = typeof masterSecret === "string" ? Buffer.from(masterSecret, "utf8") : masterSecret;
  const salt = createHash("sha256").update("authd").digest();
  return Buffer.from(hkdfSync("sha256", ikm, salt, purpose, 32));
}

export class SecretBox {
  private readonly key: Buffer;

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new Error("SecretBox needs a 32-byte key");
    this.key = Buffer.from(key);
  }

  /** Derives the box's key from the master secret, separated from other uses by `purpose`. */
  static fromMasterSecret(masterSecret: string | Uint8Array, purpose: string): SecretBox {
    return new SecretBox(deriveKey(masterSecret, purpose));
  }

  seal(plaintext: string, associatedData = ""): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(associatedData, "utf8"));
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return `${VERSION}.${Buffer.concat([nonce, body, cipher.getAuthTag()]).toString("base64url")}`;
  }

  /** Opens a sealed value; throws when it was tampered with or sealed under another key. */
  open(sealed: string, associatedData = ""): string {
    const [version, payload] = sealed.split(".");
    if (version !== VERSION || payload === undefined) throw new Error("unknown sealed format");
    const raw = Buffer.from(payload, "base64url");
    // Too short for a nonce and a whole tag: refused before any slicing could overlap them.
    if (raw.length < NONCE_BYTES + TAG_BYTES) throw new Error("sealed value is too short");
    const nonce = raw.subarray(0, NONCE_BYTES);
    const tag = raw.subarray(raw.length - TAG_BYTES);
    const decipher = createDecipheriv("aes-256-gcm", this.key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(associatedData, "utf8"));
    decipher.setAuthTag(tag);
    const body = raw.subarray(NONCE_BYTES, raw.length - TAG_BYTES);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8");
  }
}
