// The bundled list of common and breached passwords: the ranked list that ships with zxcvbn-ts
// (about 49,000 entries, well past the 10,000 most common that NIST and ASVS ask for). Loaded once,
// on first use.
import { createRequire } from "node:module";

let list: Set<string> | undefined;

function load(): Set<string> {
  const require = createRequire(import.meta.url);
  const { dictionary } = require("@zxcvbn-ts/language-common") as { dictionary: Record<string, string[]> };
  const passwords = dictionary["passwords-common"];
  if (!passwords || passwords.length < 10_000)
    throw new Error("the common-password list is missing or short");
  return new Set(passwords.map((p) => p.toLowerCase()));
}

/** `lowerCased` must already be lower-cased: the list is compared case-insensitively. */
export function isCommonPassword(lowerCased: string): boolean {
  list ??= load();
  return list.has(lowerCased);
}

export function commonPasswordCount(): number {
  list ??= load();
  return list.size;
}
