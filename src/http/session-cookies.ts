// Cookie mode: the tokens of a browser session travel as HttpOnly cookies that page scripts cannot
// read. Names carry the `__Host-` prefix (the browser then insists on Secure, Path=/ and no Domain,
// so a sibling subdomain cannot plant or shadow them) — except in development on a plain-http
// AUTHD_PUBLIC_URL, where browsers would drop such cookies: there the names lose the prefix and the
// Secure flag. Cross-site use is refused three ways: SameSite=Strict, an Origin check on every
// cookie-authenticated request (isAllowedCookieOrigin), and Connect's JSON content type, which a
// cross-origin page cannot send without a CORS preflight that only AUTHD_CORS_ORIGINS pass.
import type { HandlerContext } from "@connectrpc/connect";
import type { Config } from "../config.js";
import type { IssuedTokens } from "../domain/sessions/index.js";

type CookieConfig = Pick<Config, "env" | "publicUrl">;
/** The settings the cookie-mode handlers need (names, flags, and the allowed origins). */
export type CookieSettings = Pick<
  Config,
  "env" | "publicUrl" | "corsOrigins" | "localAppOrigins" | "trustedDeviceTtlSeconds"
>;

/** True when cookies can be Secure and `__Host-` prefixed. */
export function secureCookies(config: CookieConfig): boolean {
  return !(config.env === "development" && config.publicUrl.startsWith("http:"));
}

export function cookieNames(config: CookieConfig): { access: string; refresh: string } {
  const prefix = secureCookies(config) ? "__Host-" : "";
  return { access: `${prefix}authd_access`, refresh: `${prefix}authd_refresh` };
}

function serialize(name: string, value: string, maxAgeSeconds: number, secure: boolean): string {
  const parts = [
    `${name}=${value}`,
    "Path=/",
    `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
    "HttpOnly",
    "SameSite=Strict",
  ];
  if (secure) parts.push("Secure");
  return parts.join("; ");
}

/** Sets the access and refresh cookies of a session. `now` is epoch ms (the app clock). */
export function setSessionCookies(
  ctx: HandlerContext,
  tokens: IssuedTokens,
  config: CookieConfig,
  now = Date.now(),
): void {
  const names = cookieNames(config);
  const secure = secureCookies(config);
  ctx.responseHeader.append(
    "set-cookie",
    serialize(names.access, tokens.accessToken, (tokens.accessTokenExpiresAt - now) / 1000, secure),
  );
  ctx.responseHeader.append(
    "set-cookie",
    serialize(names.refresh, tokens.refreshToken, (tokens.refreshTokenExpiresAt - now) / 1000, secure),
  );
}

/**
 * The "remember this device" cookie: the device token of a cookie-mode VerifyChallenge, kept where page
 * scripts cannot read it. It outlives sessions by design (sign-out leaves it); revoking the device
 * server-side is what ends it.
 */
export function deviceCookieName(config: CookieConfig): string {
  return `${secureCookies(config) ? "__Host-" : ""}authd_device`;
}

/** Sets the device cookie for the trusted device's lifetime (AUTHD_TRUSTED_DEVICE_TTL). */
export function setDeviceCookie(
  ctx: HandlerContext,
  deviceToken: string,
  config: CookieConfig & Pick<Config, "trustedDeviceTtlSeconds">,
): void {
  ctx.responseHeader.append(
    "set-cookie",
    serialize(deviceCookieName(config), deviceToken, config.trustedDeviceTtlSeconds, secureCookies(config)),
  );
}

/**
 * The device token a sign-in offers: the request's `device_token` field, or else the device cookie. A
 * token that no longer checks out (revoked, expired, someone else's) is simply not trusted: the second
 * factor is asked as usual. The cookie counts only from an origin that may use the session cookies
 * (isAllowedCookieOrigin): a browser attaches it to whatever page sends the request, so from any other
 * origin it says nothing about who is asking. The field is the caller's own credential and counts
 * from anywhere, as a bearer token does.
 */
export function offeredDeviceToken(
  field: string,
  cookies: Record<string, string>,
  origin: string | null | undefined,
  config: CookieConfig & Pick<Config, "corsOrigins" | "localAppOrigins">,
): string {
  if (field !== "") return field;
  if (!isAllowedCookieOrigin(origin, config)) return "";
  return cookies[deviceCookieName(config)] ?? "";
}

/** Tells the browser to forget both cookies. */
export function clearSessionCookies(ctx: HandlerContext, config: CookieConfig): void {
  const names = cookieNames(config);
  const secure = secureCookies(config);
  ctx.responseHeader.append("set-cookie", serialize(names.access, "", 0, secure));
  ctx.responseHeader.append("set-cookie", serialize(names.refresh, "", 0, secure));
}

/**
 * Whether a request authenticated by cookie may proceed: without an Origin header (not a browser
 * cross-origin request), or from the public URL's origin, the app's loopback origins, or an origin
 * listed in AUTHD_CORS_ORIGINS. A `*` in AUTHD_CORS_ORIGINS does not count here: any site could then
 * ride the user's cookies.
 */
export function isAllowedCookieOrigin(
  origin: string | null | undefined,
  config: Pick<Config, "publicUrl" | "corsOrigins" | "localAppOrigins">,
): boolean {
  if (origin === null || origin === undefined || origin === "") return true;
  if (origin === new URL(config.publicUrl).origin) return true;
  if (isLocalAppOrigin(origin, config)) return true;
  return config.corsOrigins.some((allowed) => allowed !== "*" && new URL(allowed).origin === origin);
}

/**
 * The account app opened at a loopback address of authd's own port, in development without
 * AUTHD_PUBLIC_URL (config-public-url.ts says which); never in production.
 */
function isLocalAppOrigin(origin: string, config: Pick<Config, "localAppOrigins">): boolean {
  return config.localAppOrigins.includes(origin);
}
