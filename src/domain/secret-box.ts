// AES-256-GCM for the few secrets authd must read back (TOTP secrets). A fresh 96-bit nonce per
// seal; the authentication tag makes any tampering fail to open. The sealed text is versioned so
// the key or algorithm can change later.
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from "node:crypto";

const VERSION = "v1";

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
    const nonce = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, nonce);
    cipher.setAAD(Buffer.from(associatedData, "utf8"));
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return `${VERSION}.${Buffer.concat([nonce, body, cipher.getAuthTag()]).toString("base64url")}`;
  }

  /** Opens a sealed value; throws when it was tampered with or sealed under another key. */
  open(sealed: string, associatedData = ""): string {
    const [version, payload] = sealed.split(".");
    if (version !== VERSION || payload === undefined) throw new Error("unknown sealed format");
    const raw = Buffer.from(payload, "base64url");
    const nonce = raw.subarray(0, 12);
    const tag = raw.subarray(raw.length - 16);
    const decipher = createDecipheriv("aes-256-gcm", this.key, nonce);
    decipher.setAAD(Buffer.from(associatedData, "utf8"));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString(
      "utf8",
    );
  }
}
