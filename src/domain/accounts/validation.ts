// Input rules for account fields. Each check names the request field it refuses.
import { isPlainMailbox } from "../email-address.js";
import { invalidArgument } from "../errors.js";
import { MOBILE_EXAMPLE, mobileNumber } from "../mobile-numbers.js";

const USERNAME = /^[a-z0-9._-]{3,32}$/;
const LANGUAGE = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

/**
 * Lower-cases and checks an email; the stored form is always the normalised one. Only a plain
 * mailbox passes (see email-address.ts): a display name, quotes, a list or a comment would let the
 * mail library deliver to an address other than the one checked.
 */
export function normalizeEmail(raw: string, field = "email"): string {
  const email = raw.trim().toLowerCase();
  if (email === "") throw invalidArgument(field, "is required");
  if (!isPlainMailbox(email)) {
    throw invalidArgument(
      field,
      "is not a valid email address: give one plain address such as name@example.com (no name, quotes, list or comment)",
    );
  }
  return email;
}

/** Empty means "no username". */
export function normalizeUsername(raw: string, field = "username"): string | null {
  const username = raw.trim().toLowerCase();
  if (username === "") return null;
  if (!USERNAME.test(username)) {
    throw invalidArgument(field, "must be 3 to 32 letters, digits, '.', '_' or '-'");
  }
  if (username.includes("@")) throw invalidArgument(field, "must not contain '@'");
  return username;
}

/** Empty means "no number"; anything else must be a mobile number (mobile-numbers.ts), stored in E.164. */
export function checkMobile(raw: string, field = "mobile"): string {
  if (raw.trim() === "") return "";
  const mobile = mobileNumber(raw);
  if (mobile === null) {
    throw invalidArgument(field, `must be a mobile number in international format, e.g. ${MOBILE_EXAMPLE}`);
  }
  return mobile;
}

export function checkLanguage(raw: string, field = "language"): string {
  const language = raw.trim();
  // The column holds 35 characters (the longest tag BCP 47 asks implementations to keep).
  if (language !== "" && (language.length > 35 || !LANGUAGE.test(language))) {
    throw invalidArgument(field, "must be a BCP 47 tag such as en-GB");
  }
  return language;
}

export function checkTimezone(raw: string, field = "timezone"): string {
  const timezone = raw.trim();
  if (timezone === "") return timezone;
  try {
    new Intl.DateTimeFormat("en", { timeZone: timezone });
  } catch {
    throw invalidArgument(field, "must be an IANA time zone such as Europe/Paris");
  }
  return timezone;
}

export function checkName(raw: string, field: string): string {
  const name = raw.trim();
  if ([...name].length > 200) throw invalidArgument(field, "must be at most 200 characters");
  if (/\p{Cc}/u.test(name)) throw invalidArgument(field, "must not contain control characters");
  return name;
}

export function requireNonEmpty(value: string, field: string): string {
  if (value === "") throw invalidArgument(field, "is required");
  return value;
}

const SETTING_KEY = /^[A-Za-z0-9._:-]{1,64}$/;

export function checkSettings(settings: Record<string, string>, field = "settings"): void {
  for (const [key, value] of Object.entries(settings)) {
    if (!SETTING_KEY.test(key))
      throw invalidArgument(
        field,
        `key "${key.slice(0, 70)}" must be 1 to 64 letters, digits, '.', '_', ':' or '-'`,
      );
    if (value.length > 4096)
      throw invalidArgument(field, `value of "${key}" must be at most 4096 characters`);
    // PostgreSQL text cannot hold U+0000 (it would answer Internal); other control characters are fine.
    if (value.includes("\u0000"))
      throw invalidArgument(field, `value of "${key}" must not contain the NUL character`);
  }
}
