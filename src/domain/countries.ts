// ISO 3166-1 alpha-2 country codes, from i18n-iso-countries (a maintained list, updated when ISO
// assigns or withdraws a code), rather than a copy kept by hand. Its index module alone: the package's
// main entry also loads the names in 78 languages, which nothing here needs.
import countries from "i18n-iso-countries/index.js";

/**
 * ISO 3166-1 leaves AA, QM–QZ, XA–XZ and ZZ to its users; they name no country officially. The
 * package lists one of them (XK, for Kosovo); the contract promises officially assigned codes.
 */
const USER_ASSIGNED = /^(AA|Q[M-Z]|X[A-Z]|ZZ)$/;

const CODES: ReadonlySet<string> = new Set(
  Object.keys(countries.getAlpha2Codes()).filter((code) => !USER_ASSIGNED.test(code)),
);

/** True for an officially assigned ISO 3166-1 alpha-2 code, upper-case. */
export function isCountryCode(code: string): boolean {
  return CODES.has(code);
}
