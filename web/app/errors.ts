// What the app says when authd refuses something: a sentence a person can read, shown beside the
// field it concerns. authd's messages are written for developers ("new_password: is too common"):
// they start with the request field at fault, and carry an ErrorInfo reason where a client can act
// on why (docs/error-reasons.md). The reason picks the sentence where the app has one; any other
// message is turned into a sentence (the field's label first, a capital, a full stop), never shown
// as it came.
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema, ErrorReason } from "../../gen/authd/v1/common_pb.js";

export interface Explained {
  /** The request field (proto spelling) the error concerns, when authd names one. */
  field?: string;
  /** What to show. */
  sentence: string;
}

/** The reason authd gave in the error's ErrorInfo detail (UNSPECIFIED without one). */
export function reasonOf(error: unknown): ErrorReason {
  const [info] = ConnectError.from(error).findDetails(ErrorInfoSchema);
  return info?.reason ?? ErrorReason.UNSPECIFIED;
}

/** "new_password: is too common" names new_password; "postal_address.country: ..." too. */
const NAMED_FIELD = /^([a-z_]+(?:\.[a-z_]+)*): /;

/** Words a field's reason starts with when it reads on from the field's name ("is required"). */
const CONTINUES = /^(is|are|was|were|must|may|can|cannot|has|have|does|do|should|or|and)\b/;

const SIGN_IN_AGAIN = "Your session has ended. Sign in again.";

/** Sentences for the reasons where the app can say more, or better, than the message. */
function byReason(reason: ErrorReason, field: string | undefined): string | undefined {
  switch (reason) {
    case ErrorReason.INVALID_CREDENTIALS:
      // Sign-in names no field on purpose: it never tells which part was wrong.
      return field ? "The password is not correct." : "The email, username or password is not correct.";
    case ErrorReason.EMAIL_NOT_VERIFIED:
      return "Your email address is not verified yet. Open the link we emailed you.";
    case ErrorReason.ACCOUNT_DEACTIVATED:
      return "This account is deactivated.";
    case ErrorReason.TENANT_SUSPENDED:
      return "Your company's account is suspended. Ask its administrator.";
    case ErrorReason.PASSWORD_TOO_COMMON:
      return "This password is too common: it is on a list of common or breached passwords. Choose another.";
    case ErrorReason.PASSWORD_NOT_SET:
      return "This account has no password yet. Set one with “Forgot your password?” on the sign-in screen.";
    case ErrorReason.PASSWORD_CHANGE_REQUIRED:
      return "An administrator set this password. Choose your own with “Forgot your password?” on the sign-in screen.";
    case ErrorReason.STEP_UP_REQUIRED:
      return "This change needs a recent code from one of your second factors.";
    case ErrorReason.REAUTHENTICATION_REQUIRED:
      return "This account has no password, so this change needs a recent sign-in. Sign out, sign in again and try once more.";
    case ErrorReason.CHALLENGE_EXPIRED:
      return "This sign-in has expired. Start over and sign in again.";
    case ErrorReason.INVALID_CODE:
      return "The code is wrong or has expired. Check it and try again.";
    case ErrorReason.CODE_ALREADY_USED:
      return "This code was already used. Wait for your authenticator app to show the next one.";
    case ErrorReason.TOKEN_EXPIRED:
    case ErrorReason.SESSION_REVOKED:
      return SIGN_IN_AGAIN;
    case ErrorReason.TOKEN_INVALID:
      return field === "token"
        ? "This link is invalid, has expired, or was already used. Ask for a new one."
        : SIGN_IN_AGAIN;
    case ErrorReason.CAPTCHA_FAILED:
      return "The captcha was not accepted. Try again.";
    case ErrorReason.LAST_SIGN_IN_METHOD:
      return "This is the only way to sign in to your account. Set a password (“Forgot your password?”) or link another account first.";
    default:
      return undefined;
  }
}

/** "new_password" → "New password"; "postal_address.country" → "Country". */
function humanise(field: string): string {
  const words = (field.split(".").pop() ?? field).replaceAll("_", " ");
  return capitalise(words);
}

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** Capitalises each clause ("too many codes; try again in 5 seconds") and ends with a full stop. */
export function asSentence(text: string): string {
  const clauses = text
    .trim()
    .split(/;\s+/)
    .map((clause) => capitalise(clause.replace(/[\s.:;,]+$/, "")));
  return `${clauses.join(". ")}.`;
}

/**
 * The field an error concerns and the sentence to show. `labelOf` names the form's fields as the
 * person sees them ("Current password"); a field the form does not have is named from its spelling.
 */
export function explain(error: unknown, labelOf?: (field: string) => string | undefined): Explained {
  const e = ConnectError.from(error);
  const named = NAMED_FIELD.exec(e.rawMessage);
  const field = named?.[1];
  const reason = reasonOf(e);
  const known = byReason(reason, field);
  if (known) return { field, sentence: known };
  switch (e.code) {
    case Code.Unavailable:
    case Code.Unknown:
    case Code.Canceled:
      return { sentence: "The server could not be reached. Check your connection and try again." };
    case Code.Unauthenticated:
      // A refusal for want of a session that the refresh could not renew.
      if (!field) return { sentence: SIGN_IN_AGAIN };
      break;
    case Code.Internal: {
      const request = /request id ([\w-]+)/.exec(e.rawMessage)?.[1];
      const which = request ? ` (request ${request})` : "";
      return { sentence: `Something went wrong on the server${which}. Try again later.` };
    }
  }
  if (!named || !field) return { sentence: asSentence(e.rawMessage) };
  const rest = e.rawMessage.slice(named[0].length);
  // "Username (optional)" is the label; "Username" is the subject of a sentence.
  const subject = (labelOf?.(field) ?? humanise(field)).replace(/\s*\(.*\)$/, "");
  return { field, sentence: asSentence(CONTINUES.test(rest) ? `${subject} ${rest}` : rest) };
}

/** The sentence alone, for a status line. */
export function errorMessage(error: unknown): string {
  return explain(error).sentence;
}

/**
 * For a form with a code field: errors about the code show there, sign-in's and step-up's too,
 * which name no field (a wrong code, one already used, too many wrong codes).
 */
export function codeError(error: ConnectError): string | undefined {
  const reason = reasonOf(error);
  const aboutCode =
    reason === ErrorReason.INVALID_CODE ||
    reason === ErrorReason.CODE_ALREADY_USED ||
    /\bcodes?\b/.test(error.rawMessage);
  return aboutCode ? "code" : undefined;
}
