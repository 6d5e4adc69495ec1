// Looking for secrets in bytes at rest and in logs, in every form a secret could take there: as the
// client saw it, in any letter case, with its dashes and spaces dropped or moved (a recovery code
// stored normalised, a key printed in groups), and, for a token made of random bytes, those bytes in
// hex, base64 and base64url.
import { base32Decode } from "../helpers/mfa.js";

/** How a secret is built, which decides the forms it is looked for in. */
export type SecretShape =
  /** Typed by a person (a password) or configured: its text, in any case and grouping. */
  | "text"
  /** A short numeric code: as a whole number only (not inside a longer one, a timestamp say). */
  | "digits"
  /** Random bytes written in base64url (refresh and emailed tokens, challenge ids, key secrets). */
  | "base64url"
  /** Random bytes written in base32 (a TOTP secret). */
  | "base32"
  /** A signed JWT: the whole token, and its signature's bytes. */
  | "jwt";

export interface Secret {
  value: string;
  shape: SecretShape;
}

/** One form of a secret to look for, as it reads after `normalise`. */
interface Needle {
  form: string;
  text: string;
}

/** Lower case, without dashes and white space: the view every needle except digits is searched in. */
function normalise(text: string): string {
  return text.toLowerCase().replace(/[\s-]/g, "");
}

function byteForms(bytes: Buffer): Needle[] {
  return [
    { form: "hex", text: bytes.toString("hex") },
    { form: "base64", text: normalise(bytes.toString("base64").replace(/=+$/, "")) },
    { form: "base64url", text: normalise(bytes.toString("base64url")) },
  ];
}

function needlesOf(secret: Secret): Needle[] {
  const { value, shape } = secret;
  const needles: Needle[] = [{ form: "as given", text: normalise(value) }];
  if (shape === "base64url") needles.push(...byteForms(Buffer.from(value, "base64url")));
  if (shape === "base32") needles.push(...byteForms(base32Decode(value.replace(/\s/g, ""))));
  if (shape === "jwt") {
    const signature = value.split(".")[2] ?? "";
    needles.push(
      ...byteForms(Buffer.from(signature, "base64url")).map((n) => ({ ...n, form: `signature ${n.form}` })),
    );
  }
  // Forms shorter than this would match by chance in megabytes of binary.
  return needles.filter((n, i) => n.text.length >= 8 && needles.findIndex((m) => m.text === n.text) === i);
}

type Search = { what: string; needle?: Needle; digits?: RegExp };

/** A prepared search over one body of text (a file or a log) for a set of secrets. */
export class SecretScan {
  private readonly needles: Search[];

  constructor(secrets: Map<string, Secret>) {
    this.needles = [...secrets].flatMap(([what, secret]): Search[] =>
      secret.shape === "digits"
        ? [{ what, digits: new RegExp(`(?<!\\d)${secret.value}(?!\\d)`) }]
        : needlesOf(secret).map((needle) => ({ what, needle })),
    );
  }

  /** "<what> (<form>) in <where>" for each form of each secret found in `text`. */
  find(text: string, where: string): string[] {
    const normalised = normalise(text);
    const found: string[] = [];
    for (const { what, needle, digits } of this.needles) {
      if (digits?.test(text)) found.push(`${what} in ${where}`);
      if (needle && normalised.includes(needle.text)) found.push(`${what} (${needle.form}) in ${where}`);
    }
    return found;
  }
}
