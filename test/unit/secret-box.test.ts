// SecretBox (AES-256-GCM): what it seals opens only whole, under its key and associated data, with
// the full 16-byte tag.
import { createCipheriv, randomBytes } from "node:crypto";
import { describe, expect, test } from "vitest";
import { SecretBox } from "../../src/domain/secret-box.js";

const key = randomBytes(32);
const box = new SecretBox(key);

/** Seals like SecretBox but keeps only `tagBytes` of the tag (what Node allows without a pin). */
function sealWithShortTag(plaintext: string, associatedData: string, tagBytes: number): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: tagBytes });
  cipher.setAAD(Buffer.from(associatedData, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return `v1.${Buffer.concat([nonce, body, cipher.getAuthTag()]).toString("base64url")}`;
}

describe("SecretBox", () => {
  test("a sealed value opens with the same associated data, and not with another", () => {
    const sealed = box.seal("JBSWY3DPEHPK3PXP", "totp:a");
    expect(box.open(sealed, "totp:a")).toBe("JBSWY3DPEHPK3PXP");
    expect(() => box.open(sealed, "totp:b")).toThrow();
  });

  test("a sealed value with a truncated tag does not open", () => {
    const sealed = box.seal("JBSWY3DPEHPK3PXP", "totp:a");
    const raw = Buffer.from(sealed.slice(3), "base64url");
    for (let cut = 1; cut <= 12; cut++) {
      const truncated = `v1.${raw.subarray(0, raw.length - cut).toString("base64url")}`;
      expect(() => box.open(truncated, "totp:a"), `tag cut by ${cut} bytes`).toThrow();
    }
  });

  test("a value sealed with a correct but short GCM tag does not open", () => {
    for (const tagBytes of [4, 8, 12, 13, 14, 15]) {
      const short = sealWithShortTag("JBSWY3DPEHPK3PXP", "totp:a", tagBytes);
      expect(() => box.open(short, "totp:a"), `${tagBytes}-byte tag`).toThrow();
    }
  });

  test("a value too short to hold a nonce and a whole tag is refused before decryption", () => {
    // Twelve bytes would otherwise be read as a nonce whose last four bytes double as a 4-byte tag.
    for (const length of [0, 12, 16, 27]) {
      const value = `v1.${randomBytes(length).toString("base64url")}`;
      expect(() => box.open(value), `${length} bytes`).toThrow(/too short/);
    }
  });
});
