// A browser at the HTTP level, for driving redirect flows without Chromium: a cookie jar and fetch
// with redirects followed by hand, so a test sees (and can stop at) every hop, and can submit the
// one form on a page the way a person would press its button.
//
// The jar keeps what a redirect flow needs of RFC 6265: cookies are per host name (not per port, as
// in browsers: two servers on 127.0.0.1 share cookies), matched by path, replaced by name, domain
// and path, removed by Max-Age<=0 or a past Expires, and Secure ones go over https or to a loopback
// host only. It does not model the Domain attribute beyond host-only cookies, nor SameSite: a test of
// a cross-site POST (form_post) must account for Lax cookies itself.

export interface Cookie {
  name: string;
  value: string;
  host: string;
  path: string;
  secure: boolean;
  expires?: number;
}

/** Where a walk of redirects ended: the last response fetched, or the URL it stopped before. */
export interface Landing {
  url: URL;
  /** The response at `url`; undefined when the walk stopped before fetching it. */
  response?: Response;
  /** Its body as text, when fetched. */
  body?: string;
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** RFC 6265 §5.1.4: the default path is the request path up to, not including, its last slash. */
function defaultPath(url: URL): string {
  const last = url.pathname.lastIndexOf("/");
  return last <= 0 ? "/" : url.pathname.slice(0, last);
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith("/") || requestPath[cookiePath.length] === "/";
}

/** Decodes the few HTML entities a form's attribute may carry (the pages here escape with these). */
function unescapeHtml(text: string): string {
  return text
    .replaceAll("&quot;", '"')
    .replaceAll("&#39;", "'")
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&");
}

export class HttpBrowser {
  readonly cookies: Cookie[] = [];
  /** Every request made, in order: "GET http://...". */
  readonly history: string[] = [];

  /** Stores a Set-Cookie header value as if `url` had answered it. */
  setCookie(url: URL | string, header: string): void {
    const at = new URL(url);
    const [pair = "", ...attributes] = header.split(";");
    const eq = pair.indexOf("=");
    if (eq <= 0) return;
    const cookie: Cookie = {
      name: pair.slice(0, eq).trim(),
      value: pair.slice(eq + 1).trim(),
      host: at.hostname,
      path: defaultPath(at),
      secure: false,
    };
    for (const attribute of attributes) {
      const [key = "", ...rest] = attribute.split("=");
      const value = rest.join("=").trim();
      switch (key.trim().toLowerCase()) {
        case "path":
          if (value.startsWith("/")) cookie.path = value;
          break;
        case "secure":
          cookie.secure = true;
          break;
        case "max-age":
          cookie.expires = Date.now() + Number(value) * 1000;
          break;
        case "expires":
          // Max-Age wins over Expires (RFC 6265 §5.3 step 3).
          if (!attributes.some((a) => a.trim().toLowerCase().startsWith("max-age="))) {
            cookie.expires = Date.parse(value);
          }
          break;
      }
    }
    const same = (c: Cookie) => c.name === cookie.name && c.host === cookie.host && c.path === cookie.path;
    const index = this.cookies.findIndex(same);
    if (index >= 0) this.cookies.splice(index, 1);
    if (cookie.expires === undefined || cookie.expires > Date.now()) this.cookies.push(cookie);
  }

  /** The Cookie header a browser would send to `url` (longer paths first, as RFC 6265 §5.4 says). */
  cookieHeader(url: URL | string): string {
    const at = new URL(url);
    const secureOk = at.protocol === "https:" || LOOPBACK.has(at.hostname);
    return this.cookies
      .filter((c) => c.expires === undefined || c.expires > Date.now())
      .filter((c) => c.host === at.hostname && pathMatches(at.pathname, c.path) && (!c.secure || secureOk))
      .sort((a, b) => b.path.length - a.path.length)
      .map((c) => `${c.name}=${c.value}`)
      .join("; ");
  }

  /** One request, cookies sent and stored, redirects not followed. */
  async fetch(url: URL | string, init: RequestInit = {}): Promise<Response> {
    const at = new URL(url);
    const headers = new Headers(init.headers);
    const cookie = this.cookieHeader(at);
    if (cookie) headers.set("cookie", cookie);
    this.history.push(`${init.method ?? "GET"} ${at.href}`);
    const response = await fetch(at, { ...init, headers, redirect: "manual" });
    for (const header of response.headers.getSetCookie()) this.setCookie(at, header);
    return response;
  }

  /**
   * Fetches `url` and follows redirects until a response is not a redirect, or until `stop` says the
   * next URL is not to be fetched (the redirect back to a client, say). As in browsers, 301, 302 and
   * 303 continue with a GET, and 307 and 308 repeat the request with its method and body. `init`
   * applies to the first request only.
   */
  async follow(
    url: URL | string,
    options: { init?: RequestInit; stop?: (next: URL) => boolean; maxHops?: number } = {},
  ): Promise<Landing> {
    const maxHops = options.maxHops ?? 20;
    let at = new URL(url);
    let init = options.init ?? {};
    let response = await this.fetch(at, init);
    for (let hop = 0; response.status >= 300 && response.status < 400; hop++) {
      if (hop >= maxHops) throw new Error(`more than ${maxHops} redirects from ${url}`);
      const location = response.headers.get("location");
      if (!location) break;
      await response.body?.cancel();
      at = new URL(location, at);
      if (options.stop?.(at)) return { url: at };
      if (response.status !== 307 && response.status !== 308) init = {};
      response = await this.fetch(at, init);
    }
    return { url: at, response, body: await response.text() };
  }

  /**
   * Submits the page's form (the first <form> in `landing.body`) with `fields`, as pressing a submit
   * button does: to the form's action, with its method, urlencoded; then follows redirects.
   */
  async submit(
    landing: Landing,
    fields: Record<string, string>,
    options: { stop?: (next: URL) => boolean } = {},
  ): Promise<Landing> {
    const form = /<form\b([^>]*)>/i.exec(landing.body ?? "");
    if (!form) throw new Error(`no form on the page at ${landing.url.href}`);
    const attribute = (name: string) =>
      new RegExp(`\\b${name}\\s*=\\s*"([^"]*)"`, "i").exec(form[1] ?? "")?.[1];
    const action = new URL(unescapeHtml(attribute("action") ?? landing.url.href), landing.url);
    const method = (attribute("method") ?? "get").toUpperCase();
    const body = new URLSearchParams(fields);
    if (method === "GET") {
      action.search = body.toString();
      return this.follow(action, options);
    }
    return this.follow(action, {
      ...options,
      init: {
        method,
        body: body.toString(),
        headers: { "content-type": "application/x-www-form-urlencoded", origin: landing.url.origin },
      },
    });
  }
}
