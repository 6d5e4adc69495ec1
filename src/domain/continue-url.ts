// Return URLs (continue_url): where an emailed link sends the user once it has done its work. Only
// URLs the operator allowed (AUTHD_CONTINUE_URL_ALLOWLIST) pass, so authd is never an open redirect.
//
// A rule is an origin (scheme, host and port, compared exactly after the URL parser's normalisation)
// and a path prefix that matches on segment boundaries: "/app" allows "/app" and "/app/x", never
// "/app-evil". A URL with a user name or password, a backslash, whitespace or a control character, or
// an encoded '.', '/' or '\' in its path is refused outright: each is a way to make one parser see
// another host or path than the browser does.
import { invalidArgument, withReason } from "./errors.js";

export interface ContinueUrlRule {
  /** scheme://host[:port], as URL.origin writes it. */
  origin: string;
  /** "/" (any path) or a path without a trailing slash, such as "/app". */
  pathPrefix: string;
}

const MAX_LENGTH = 2048;
const UNSAFE_CHARACTERS = /[\s\\\p{Cc}]/u;
const ENCODED_SEPARATORS = /%(2e|2f|5c)/i;

/**
 * The URL as the parser normalised it when it is allowed by `rules`, else null. The normalised form
 * is what is stored and handed back, so the URL checked is the URL a browser follows.
 */
export function allowedContinueUrl(raw: string, rules: readonly ContinueUrlRule[]): string | null {
  if (raw.length > MAX_LENGTH || UNSAFE_CHARACTERS.test(raw)) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return null;
  if (url.username !== "" || url.password !== "") return null;
  if (ENCODED_SEPARATORS.test(url.pathname)) return null;
  const allowed = rules.some(
    (rule) => url.origin === rule.origin && pathWithin(url.pathname, rule.pathPrefix),
  );
  return allowed && url.href.length <= MAX_LENGTH ? url.href : null;
}

function pathWithin(path: string, prefix: string): boolean {
  return prefix === "/" || path === prefix || path.startsWith(`${prefix}/`);
}

/** An empty continue_url is none; any other must be allowed (INVALID_ARGUMENT naming `field`). */
export function checkContinueUrl(
  raw: string,
  rules: readonly ContinueUrlRule[],
  field = "continue_url",
): string {
  if (raw === "") return "";
  const url = allowedContinueUrl(raw, rules);
  if (url === null) {
    const why =
      rules.length === 0
        ? "is not accepted: this server allows no return URLs (AUTHD_CONTINUE_URL_ALLOWLIST)"
        : "is not an allowed return URL (AUTHD_CONTINUE_URL_ALLOWLIST)";
    throw withReason("CONTINUE_URL_NOT_ALLOWED", invalidArgument(field, why));
  }
  return url;
}

/**
 * A stored continue_url as handed back when its link is used: checked again, so one the operator has
 * since removed from the allow-list is dropped.
 */
export function storedContinueUrl(stored: string | undefined, rules: readonly ContinueUrlRule[]): string {
  if (!stored) return "";
  return allowedContinueUrl(stored, rules) ?? "";
}

/** Parses one allow-list entry ("https://app.example.com" or "https://app.example.com/app"). */
export function parseContinueUrlRule(entry: string): ContinueUrlRule {
  if (UNSAFE_CHARACTERS.test(entry)) throw new Error("must not contain whitespace or a backslash");
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    throw new Error(`"${entry}" is not an absolute URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new Error(`"${entry}" must use http or https`);
  if (url.username !== "" || url.password !== "") throw new Error(`"${entry}" must not contain a user name`);
  if (url.search !== "" || url.hash !== "") throw new Error(`"${entry}" must not have a query or fragment`);
  if (url.hostname.includes("*")) throw new Error(`"${entry}": wildcard hosts are not supported`);
  if (ENCODED_SEPARATORS.test(url.pathname)) throw new Error(`"${entry}" must not encode '.', '/' or '\\'`);
  const trimmed = url.pathname.replace(/\/+$/, "");
  return { origin: url.origin, pathPrefix: trimmed === "" ? "/" : trimmed };
}
