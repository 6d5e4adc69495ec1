// The optional personal fields of a profile (what the replaced APIs stored), and the rules each one
// follows. Every field is optional: the empty string (a null address) means "not set". Gender, title
// and marital status are short free text kept as typed: a closed list would refuse people it did not
// foresee, and an app that offers a fixed list checks its own list.
import { isCountryCode } from "../countries.js";
import { invalidArgument } from "../errors.js";
import type { ProfileRecords } from "./persistence.js";
import { checkName } from "./validation.js";

export interface PostalAddress {
  /** Street lines, most specific first; at most 3. */
  lines: string[];
  locality: string;
  region: string;
  postalCode: string;
  /** ISO 3166-1 alpha-2, upper-case; set whenever any other field is. */
  country: string;
}

export interface ProfileFields {
  /** YYYY-MM-DD. */
  birthDate: string;
  gender: string;
  title: string;
  maritalStatus: string;
  /** ISO 3166-1 alpha-2, upper-case. */
  nationality: string;
  /** ISO 3166-1 alpha-2, upper-case. */
  residency: string;
  idNumber: string;
  department: string;
  jobTitle: string;
  postalAddress: PostalAddress | null;
  /** https only. */
  avatarUrl: string;
  externalCustomerId: string;
}

/** A profile without any of the optional fields (a new account). */
export const NO_PROFILE_FIELDS: ProfileFields = {
  birthDate: "",
  gender: "",
  title: "",
  maritalStatus: "",
  nationality: "",
  residency: "",
  idNumber: "",
  department: "",
  jobTitle: "",
  postalAddress: null,
  avatarUrl: "",
  externalCustomerId: "",
};

/**
 * The fields that say who a person is rather than how to address them (ASVS V8: sensitive personal
 * data). An API key reads or changes them only with the `profile:personal` scope, beside
 * `profile:read` or `profile:write`: a key given to show a user's name does not also hand out their
 * identity document number and home address.
 */
export const PERSONAL_FIELDS = [
  "birthDate",
  "gender",
  "maritalStatus",
  "nationality",
  "residency",
  "idNumber",
  "postalAddress",
] as const satisfies ReadonlyArray<keyof ProfileFields>;

/** `profile` with its personal fields as if unset. */
export function withoutPersonalFields<T extends ProfileFields>(profile: T): T {
  const blanked = { ...profile };
  for (const field of PERSONAL_FIELDS) (blanked as ProfileFields)[field] = NO_PROFILE_FIELDS[field] as never;
  return blanked;
}

/** Whether `changes` sets any personal field. */
export function changesPersonalFields(changes: ProfileFieldChanges): boolean {
  return PERSONAL_FIELDS.some((field) => changes[field] !== undefined);
}

/** What a new account records: nothing yet (registration sets the accepted versions). */
export const NO_PROFILE_RECORDS: ProfileRecords = {
  lastSignInAt: null,
  acceptedTermsVersion: "",
  termsAcceptedAt: null,
  acceptedPrivacyVersion: "",
  privacyAcceptedAt: null,
};

/** The fields a request changes: undefined leaves a field alone. */
export type ProfileFieldChanges = { [K in keyof ProfileFields]?: ProfileFields[K] | undefined };

const EARLIEST_BIRTH_DATE = "1900-01-01";
/** No place on Earth is more than 14 hours ahead of UTC: its "today" is the latest allowed date. */
const LATEST_UTC_OFFSET_MS = 14 * 3600 * 1000;
const ID_NUMBER = /^[\p{L}\p{N} ./-]{1,64}$/u;
const POSTAL_CODE = /^[\p{L}\p{N} -]{1,20}$/u;
const MAX_AVATAR_URL = 2048;

/** Checks and normalises every field that is set; `now` bounds the birth date. */
export function checkProfileFields(changes: ProfileFieldChanges, now: number): Partial<ProfileFields> {
  const checked: Partial<ProfileFields> = {};
  const set = <K extends keyof ProfileFields>(
    key: K,
    check: (value: ProfileFields[K]) => ProfileFields[K],
  ) => {
    const value = changes[key];
    if (value !== undefined) checked[key] = check(value as ProfileFields[K]);
  };
  set("birthDate", (v) => checkBirthDate(v, now));
  set("gender", (v) => checkShortText(v, "gender"));
  set("title", (v) => checkShortText(v, "title"));
  set("maritalStatus", (v) => checkShortText(v, "marital_status"));
  set("nationality", (v) => checkCountry(v, "nationality"));
  set("residency", (v) => checkCountry(v, "residency"));
  set("idNumber", (v) =>
    checkPattern(v, "id_number", ID_NUMBER, "must be at most 64 letters, digits, spaces, '-', '.' or '/'"),
  );
  set("department", (v) => checkName(v, "department"));
  set("jobTitle", (v) => checkName(v, "job_title"));
  set("postalAddress", (v) => checkPostalAddress(v));
  set("avatarUrl", (v) => checkAvatarUrl(v));
  set("externalCustomerId", (v) => checkText(v, "external_customer_id", 128));
  return checked;
}

export function checkBirthDate(raw: string, now: number, field = "birth_date"): string {
  const date = raw.trim();
  if (date === "") return "";
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const [year, month, day] = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [0, 0, 0];
  const parsed = new Date(Date.UTC(year, month - 1, day));
  const real =
    match !== null &&
    parsed.getUTCFullYear() === year &&
    parsed.getUTCMonth() === month - 1 &&
    parsed.getUTCDate() === day;
  if (!real) throw invalidArgument(field, "must be a calendar date written YYYY-MM-DD");
  if (date < EARLIEST_BIRTH_DATE) throw invalidArgument(field, "must not be before 1900-01-01");
  const latest = new Date(now + LATEST_UTC_OFFSET_MS).toISOString().slice(0, 10);
  if (date > latest) throw invalidArgument(field, "must not be in the future");
  return date;
}

export function checkCountry(raw: string, field: string): string {
  const code = raw.trim().toUpperCase();
  if (code !== "" && !isCountryCode(code)) {
    throw invalidArgument(field, "must be an ISO 3166-1 alpha-2 country code such as FR");
  }
  return code;
}

function checkText(raw: string, field: string, max: number): string {
  const text = raw.trim();
  if ([...text].length > max) throw invalidArgument(field, `must be at most ${max} characters`);
  if (/\p{Cc}/u.test(text)) throw invalidArgument(field, "must not contain control characters");
  return text;
}

function checkShortText(raw: string, field: string): string {
  return checkText(raw, field, 32);
}

function checkPattern(raw: string, field: string, pattern: RegExp, rule: string): string {
  const text = raw.trim();
  if (text !== "" && !pattern.test(text)) throw invalidArgument(field, rule);
  return text;
}

/** An empty address (every field blank) removes it. */
export function checkPostalAddress(raw: PostalAddress | null): PostalAddress | null {
  if (raw === null) return null;
  const lines = raw.lines.map((line) => line.trim()).filter((line) => line !== "");
  if (lines.length > 3) throw invalidArgument("postal_address.lines", "must be at most 3 lines");
  const address: PostalAddress = {
    lines: lines.map((line) => checkText(line, "postal_address.lines", 200)),
    locality: checkText(raw.locality, "postal_address.locality", 200),
    region: checkText(raw.region, "postal_address.region", 200),
    postalCode: checkPattern(
      raw.postalCode,
      "postal_address.postal_code",
      POSTAL_CODE,
      "must be at most 20 letters, digits, spaces or '-'",
    ),
    country: checkCountry(raw.country, "postal_address.country"),
  };
  const empty = address.lines.length === 0 && !address.locality && !address.region && !address.postalCode;
  if (empty && address.country === "") return null;
  if (address.country === "") throw invalidArgument("postal_address.country", "is required in an address");
  return address;
}

/** https only, no user name or password, at most 2048 characters; stored as the parser writes it. */
export function checkAvatarUrl(raw: string, field = "avatar_url"): string {
  const text = raw.trim();
  if (text === "") return "";
  if (text.length > MAX_AVATAR_URL)
    throw invalidArgument(field, `must be at most ${MAX_AVATAR_URL} characters`);
  let url: URL | undefined;
  try {
    url = /[\s\\\p{Cc}]/u.test(text) ? undefined : new URL(text);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== "https:") throw invalidArgument(field, "must be an absolute https URL");
  if (url.username !== "" || url.password !== "")
    throw invalidArgument(field, "must not contain a user name or password");
  if (url.href.length > MAX_AVATAR_URL)
    throw invalidArgument(field, `must be at most ${MAX_AVATAR_URL} characters`);
  return url.href;
}
