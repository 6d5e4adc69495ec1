// A GitHub-like plain OAuth 2.0 provider for the social sign-in tests: a node:http server on
// 127.0.0.1 with GitHub's OAuth app endpoints and the two API calls a sign-in needs, so authd's
// mapping from a user API to an identity meets GitHub's shapes and quirks without the internet.
// authd reaches it (plain http on loopback) only with the development allowance,
// AUTHD_OUTBOUND_ALLOW_PRIVATE=true, which every test that points authd at it sets.
//
// What it copies from GitHub (docs.github.com, "Authorizing OAuth apps" and "Troubleshooting OAuth
// app access token request errors"), because a client must cope with each:
// - No OpenID Connect: no ID token, no discovery, no `iss` in the redirect. Who signed in is only
//   what GET /user and GET /user/emails say.
// - /user's `email` is the public address, null when the user keeps it private; the address to trust
//   is the one /user/emails marks primary AND verified. /user/emails needs the user:email (or user)
//   scope and answers 404 without it.
// - Errors at the token endpoint come back with HTTP 200 and an `error` member
//   (incorrect_client_credentials, redirect_uri_mismatch, bad_verification_code): a client that
//   looks only at the status takes them for success. JSON only when asked (Accept: application/json),
//   form-encoded otherwise. token_type is "bearer", lowercase; scope is comma-separated.
// - A redirect_uri that does not match the registered callback (same origin, path equal or below it)
//   sends the browser to the registered callback with error=redirect_uri_mismatch.
// - The API refuses a request without a User-Agent (403), and takes "Bearer" or "token" credentials.
// - Codes expire after 10 minutes and are single-use; PKCE (S256 only) is checked when a challenge
//   was sent at authorization, and a verifier without a challenge is refused.
// Modelled, not copied: GitHub's exact answer to a wrong PKCE verifier is not documented; this
// answers bad_verification_code, as for any code that does not redeem.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { escapeHtml, htmlPage, readForm } from "./pages.js";

export interface GithubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
  visibility: "public" | "private" | null;
}

export interface GithubUser {
  id: number;
  login: string;
  name: string | null;
  /** The public address /user shows; null for a user without one. */
  email: string | null;
  /** What /user/emails lists. */
  emails: GithubEmail[];
}

export interface GithubApp {
  client_id: string;
  client_secret: string;
  /** The app's registered "Authorization callback URL". */
  callback_url: string;
}

export interface GithubLikeOptions {
  users: GithubUser[];
  apps: GithubApp[];
  /** The clock codes expire by (epoch ms). Default Date.now. */
  now?: () => number;
}

export interface GithubLike {
  /** http://127.0.0.1:<port>; the API (/user, /user/emails) is served here too. */
  url: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  userEndpoint: string;
  emailsEndpoint: string;
  /** Edit in place (drop a public email, unverify a primary) and the next request sees it. */
  users: GithubUser[];
  /** Who is "signed in at GitHub" and approves; the authorize request's `login` parameter wins. */
  signedInAs: string;
  /** While true, every authorization is denied (the user pressed Cancel): error=access_denied. */
  deny: boolean;
  /** Every request received: "GET /login/oauth/authorize?...". */
  requests: string[];
  close(): Promise<void>;
}

const CODE_TTL_MS = 10 * 60 * 1000;
const DOCS =
  "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors";

interface IssuedCode {
  clientId: string;
  redirectUri: string;
  login: string;
  scopes: string[];
  challenge?: string;
  expiresAt: number;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** GitHub's rule: same scheme, host and port as the callback URL, and a path equal to or under its path. */
function redirectAllowed(requested: string, registered: string): boolean {
  let a: URL;
  try {
    a = new URL(requested);
  } catch {
    return false;
  }
  const b = new URL(registered);
  const base = b.pathname.endsWith("/") ? b.pathname : `${b.pathname}/`;
  return a.origin === b.origin && (a.pathname === b.pathname || a.pathname.startsWith(base));
}

function withParams(target: string, params: Record<string, string | undefined>): string {
  const url = new URL(target);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.href;
}

export async function startGithubLike(options: GithubLikeOptions): Promise<GithubLike> {
  const now = options.now ?? Date.now;
  const codes = new Map<string, IssuedCode>();
  const tokens = new Map<string, { login: string; scopes: string[] }>();

  function authorize(url: URL, res: http.ServerResponse) {
    const q = url.searchParams;
    const app = options.apps.find((a) => a.client_id === q.get("client_id"));
    if (!app) {
      res.writeHead(404, { "content-type": "text/html; charset=utf-8" });
      res.end(htmlPage("Not found", "<h1>404</h1><p>No application with this client id.</p>"));
      return;
    }
    const state = q.get("state") ?? undefined;
    const redirect = (to: string, params: Record<string, string | undefined>): void => {
      res.writeHead(302, { location: withParams(to, { ...params, state }) }).end();
    };
    const redirectUri = q.get("redirect_uri") ?? app.callback_url;
    if (!redirectAllowed(redirectUri, app.callback_url)) {
      return redirect(app.callback_url, {
        error: "redirect_uri_mismatch",
        error_description: "The redirect_uri MUST match the registered callback URL for this application.",
      });
    }
    const challenge = q.get("code_challenge") ?? undefined;
    if (challenge !== undefined && q.get("code_challenge_method") !== "S256") {
      return redirect(redirectUri, {
        error: "invalid_request",
        error_description: "code_challenge_method must be S256",
      });
    }
    if (github.deny) {
      return redirect(redirectUri, {
        error: "access_denied",
        error_description: "The user has denied your application access.",
        error_uri:
          "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied",
      });
    }
    const login = github.users.some((u) => u.login === q.get("login")) ? q.get("login")! : github.signedInAs;
    // GitHub's codes are 20 hexadecimal characters.
    const code = randomBytes(10).toString("hex");
    const scopes = (q.get("scope") ?? "").split(/[ ,]+/).filter(Boolean);
    codes.set(code, {
      clientId: app.client_id,
      redirectUri,
      login,
      scopes,
      challenge,
      expiresAt: now() + CODE_TTL_MS,
    });
    redirect(redirectUri, { code });
  }

  async function accessToken(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const form = await readForm(req);
    // Client credentials in the body (client_secret_post) or in HTTP Basic (client_secret_basic).
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? "")?.[1];
    const [basicId, basicSecret] = basic
      ? Buffer.from(basic, "base64").toString().split(":").map(decodeURIComponent)
      : [];
    const clientId = form.get("client_id") ?? basicId ?? "";
    const clientSecret = form.get("client_secret") ?? basicSecret ?? "";
    const json = (req.headers.accept ?? "").includes("application/json");
    const answer = (body: Record<string, string>): void => {
      if (json)
        res.writeHead(200, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify(body));
      else {
        res.writeHead(200, { "content-type": "application/x-www-form-urlencoded" });
        res.end(new URLSearchParams(body).toString());
      }
    };
    const fail = (error: string, error_description: string) =>
      answer({ error, error_description, error_uri: `${DOCS}#${error.replaceAll("_", "-")}` });

    const app = options.apps.find((a) => a.client_id === clientId);
    if (!app || !safeEqual(app.client_secret, clientSecret)) {
      return fail("incorrect_client_credentials", "The client_id and/or client_secret passed are incorrect.");
    }
    const code = form.get("code") ?? "";
    const issued = codes.get(code);
    // Single-use: a code is spent by any attempt to redeem it, good or bad.
    codes.delete(code);
    if (!issued || issued.clientId !== app.client_id || issued.expiresAt <= now()) {
      return fail("bad_verification_code", "The code passed is incorrect or expired.");
    }
    const redirectUri = form.get("redirect_uri");
    if (redirectUri !== null && redirectUri !== issued.redirectUri) {
      return fail(
        "redirect_uri_mismatch",
        "The redirect_uri MUST match the registered callback URL for this application.",
      );
    }
    const verifier = form.get("code_verifier");
    if (issued.challenge !== undefined || verifier !== null) {
      const computed = verifier === null ? "" : createHash("sha256").update(verifier).digest("base64url");
      if (issued.challenge === undefined || !safeEqual(computed, issued.challenge)) {
        return fail("bad_verification_code", "The code passed is incorrect or expired.");
      }
    }
    const token = `gho_${randomBytes(18).toString("base64url")}`;
    tokens.set(token, { login: issued.login, scopes: issued.scopes });
    answer({ access_token: token, token_type: "bearer", scope: issued.scopes.join(",") });
  }

  function api(req: http.IncomingMessage, res: http.ServerResponse, path: string) {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
      res.end(JSON.stringify(body));
    };
    if (!req.headers["user-agent"]) {
      return send(403, {
        message:
          "Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required).",
      });
    }
    const credentials = /^(?:Bearer|token) (\S+)$/i.exec(req.headers.authorization ?? "")?.[1];
    if (!credentials) return send(401, { message: "Requires authentication" });
    const grant = tokens.get(credentials);
    const user = grant && github.users.find((u) => u.login === grant.login);
    if (!grant || !user) return send(401, { message: "Bad credentials" });
    const scopes = { "x-oauth-scopes": grant.scopes.join(", ") };
    if (path === "/user") {
      return send(
        200,
        {
          login: user.login,
          id: user.id,
          type: "User",
          name: user.name,
          email: user.email,
          html_url: `${github.url}/${user.login}`,
        },
        scopes,
      );
    }
    if (!grant.scopes.includes("user:email") && !grant.scopes.includes("user")) {
      return send(404, { message: "Not Found" }, scopes);
    }
    send(200, user.emails, scopes);
  }

  const server = http.createServer((req, res) => {
    github.requests.push(`${req.method} ${req.url}`);
    const url = new URL(req.url ?? "/", github.url);
    const route = `${req.method} ${url.pathname}`;
    if (route === "GET /login/oauth/authorize") return authorize(url, res);
    if (route === "POST /login/oauth/access_token") {
      accessToken(req, res).catch((error: Error) => res.writeHead(400).end(escapeHtml(error.message)));
      return;
    }
    if (route === "GET /user" || route === "GET /user/emails") return api(req, res, url.pathname);
    res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ message: "Not Found" }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const github: GithubLike = {
    url,
    authorizationEndpoint: `${url}/login/oauth/authorize`,
    tokenEndpoint: `${url}/login/oauth/access_token`,
    userEndpoint: `${url}/user`,
    emailsEndpoint: `${url}/user/emails`,
    users: options.users,
    signedInAs: options.users[0]?.login ?? "",
    deny: false,
    requests: [],
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
  return github;
}
