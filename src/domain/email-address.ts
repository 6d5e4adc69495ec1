// What authd accepts as an email address: one plain mailbox, `local@domain`, nothing else. Mail
// libraries read a recipient as an RFC 5322 address *list*, so a display name (`x <victim@...>`), a
// quoted local part, a comma or a comment would let a caller reach an address other than the one
// that was checked and stored. The rule is deliberately narrower than RFC 5321: an ASCII dot-atom
// local part (at most 64 characters) and a DNS host name (letters, digits and hyphens in labels of
// at most 63, at least two labels, the last one not all digits; no IP literals).
const ATEXT = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const LOCAL_PART = new RegExp(`^${ATEXT}(\\.${ATEXT})*$`);
const LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** Longest address SMTP can carry in a path (RFC 5321 §4.5.3.1.3, less the angle brackets). */
export const MAX_EMAIL_LENGTH = 254;

/** True when `address` is exactly one plain mailbox, with no surrounding text. */
export function isPlainMailbox(address: string): boolean {
  if (address.length > MAX_EMAIL_LENGTH) return false;
  const at = address.lastIndexOf("@");
  if (at < 1) return false;
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (local.length > 64 || !LOCAL_PART.test(local)) return false;
  const labels = domain.split(".");
  if (labels.length < 2 || !labels.every((label) => LABEL.test(label))) return false;
  return !/^\d+$/.test(labels[labels.length - 1] as string);
}
