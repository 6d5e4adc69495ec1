// Mobile numbers, one rule wherever one is given (registration, the profile, an administrator's
// change, the SMS factor) and one normal form wherever one is looked up (sign-in): libphonenumber-js
// with its full metadata ("max", which tells mobile ranges from fixed lines where the numbering plan
// does), rather than a pattern that took any 7 to 15 digits after a '+'.
import { parsePhoneNumberFromString } from "libphonenumber-js/max";

/**
 * An example for messages: the Australian regulator's range for fiction, a valid mobile range that
 * reaches nobody (Ofcom's 07700 900 drama range is not in the metadata, so it would be refused).
 */
export const MOBILE_EXAMPLE = "+61 491 570 006";

/** North American numbers do not say whether they are mobile: the metadata calls them either. */
const MOBILE_TYPES: ReadonlySet<string> = new Set(["MOBILE", "FIXED_LINE_OR_MOBILE"]);

/**
 * The E.164 form (+61491570006) of a real mobile number written in international form: a '+' and
 * the country code, then the number with any spaces, dots, dashes or brackets (a national 0 after
 * the country code, as in "+44 (0)7911 …", is dropped). Null for anything else: no '+', a number no
 * operator was given, a landline, an extension, text around the number.
 */
export function mobileNumber(text: string): string | null {
  const number = parsePhoneNumberFromString(text.trim(), { extract: false });
  if (!number?.isValid() || number.ext !== undefined) return null;
  const type = number.getType();
  return type !== undefined && MOBILE_TYPES.has(type) ? number.number : null;
}

/**
 * The E.164 form of any number written in international form, valid or not: how a number given to
 * sign in is looked up, so that spacing does not matter and numbers stored under the earlier
 * pattern are still found. Null when the text is no number at all.
 */
export function e164Form(text: string): string | null {
  return parsePhoneNumberFromString(text.trim(), { extract: false })?.number ?? null;
}
