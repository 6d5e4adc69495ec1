// An upstream OpenID Provider for the social sign-in tests: `oidc-provider` (panva's, OpenID
// Certified) on 127.0.0.1 with a random port, with its own users and clients, so authd's redirect flow
// talks to a real provider and never to the internet.
//
// - http, not https: oidc-provider accepts an http issuer (it asks only for a valid web URI), and
//   openid-client (with allowInsecureRequests) and authd (with AUTHD_OUTBOUND_ALLOW_PRIVATE, its
//   development setting for a provider on this machine) reach a loopback http provider, which spares
//   every caller a certificate to trust. The issuer is http://127.0.0.1:<port>.
// - Authorization code flow only, PKCE (S256, the only method oidc-provider 9 knows) required of
//   every client, nonce echoed in the ID token when sent. ID tokens are signed RS256 by default, or
//   ES256 for a client registered with `id_token_signed_response_alg: "ES256"`; both keys are in the
//   JWKS. The ID token carries the scopes' claims (email, email_verified, name), as Google's does,
//   not only the userinfo response (`conformIdTokenClaims: false`).
// - Refresh tokens are issued to every client allowed the refresh_token grant (without asking for
//   offline_access), so a test of token refresh needs nothing special in its request.
// - Sign-in and consent are two minimal HTML pages with labelled fields and no script
//   (upstream-oidc-interactions.ts): headless Chromium fills them (Email, Password, then Allow or
//   Deny), and `signIn` below walks them at the HTTP level through an HttpBrowser.
// - `tamperIdToken` rewrites the ID token of the next token responses: the wrong nonce, iss or aud a
//   relying party must refuse, re-signed with the provider's own key so that only the claim is wrong.
// - oidc-provider 9 prints "Unsupported runtime" on Node 20 (it supports 22 LTS and later); everything
//   this peer uses works on Node 20, as its tests show.
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { decodeJwt, decodeProtectedHeader, type JWK, type JWTPayload, SignJWT } from "jose";
import { HttpBrowser } from "./http-browser.js";
import { memoryAdapter } from "./oidc-memory-adapter.js";
import { escapeHtml, htmlPage } from "./pages.js";
import { handleInteraction, UPSTREAM_PASSWORD } from "./upstream-oidc-interactions.js";
import { loadProvider, publicJwk, signingKey } from "./upstream-oidc-provider.js";

export { UPSTREAM_PASSWORD } from "./upstream-oidc-interactions.js";

export interface UpstreamUser {
  sub: string;
  email: string;
  email_verified: boolean;
  name: string;
  /** The password the sign-in page accepts. Default: UPSTREAM_PASSWORD. */
  password?: string;
}

/** Client metadata in oidc-provider's (RFC 7591) names; only client_id and redirect_uris are required. */
export interface UpstreamClient {
  client_id: string;
  /** Absent: a public client (token_endpoint_auth_method "none"). */
  client_secret?: string;
  redirect_uris: string[];
  client_name?: string;
  /** Default ["authorization_code", "refresh_token"]. */
  grant_types?: string[];
  /** Default "client_secret_basic" with a secret, "none" without. */
  token_endpoint_auth_method?: string;
  /** "RS256" (default) or "ES256". */
  id_token_signed_response_alg?: string;
  post_logout_redirect_uris?: string[];
}

export interface UpstreamOidcOptions {
  users: UpstreamUser[];
  clients: UpstreamClient[];
  /** Access token lifetime in seconds. Default 3600. */
  accessTokenTtl?: number;
}

/** What `tamperIdToken` receives and may change; answer a string to send that token instead. */
export interface IdTokenParts {
  header: Record<string, unknown>;
  claims: JWTPayload;
}

export interface SignInOptions {
  /** The user's email; the sign-in page is answered with it and its password. */
  email: string;
  /** Default: the user's own password. */
  password?: string;
  /** Answer to the consent page (when one is shown). Default "allow". */
  consent?: "allow" | "deny";
  /** Press Cancel on the sign-in page instead of signing in. */
  cancel?: boolean;
  /** The browser to use (its cookies: a second flow in one browser skips the sign-in). Default: a new one. */
  browser?: HttpBrowser;
}

export interface UpstreamOidc {
  /** The issuer identifier, http://127.0.0.1:<port> (no trailing slash). */
  issuer: string;
  /** The same as `issuer`: where discovery lives, at /.well-known/openid-configuration. */
  url: string;
  /** The users; edit them in place (say, email_verified) and the next sign-in sees the change. */
  users: UpstreamUser[];
  /** The public signing keys, as the JWKS serves them. */
  jwks: JWK[];
  /** Every request received: "GET /auth?...". */
  requests: string[];
  /** oidc-provider's server errors and the sign-in pages' failures; a test can assert there were none. */
  errors: Error[];
  /** When set, rewrites the ID token of every token response (authorization code and refresh). */
  tamperIdToken?: (token: IdTokenParts) => IdTokenParts | string | Promise<IdTokenParts | string>;
  /**
   * Walks an authorization request like a person in a browser: sign in, consent, and answers the
   * redirect back to the client (its redirect_uri with code, state and iss, or with error) unfetched.
   */
  signIn(authorizationUrl: URL | string, options: SignInOptions): Promise<URL>;
  close(): Promise<void>;
}

/** Reads a token response as it leaves oidc-provider and lets `rewrite` change it before it is sent. */
function interceptBody(res: http.ServerResponse, rewrite: (body: string) => Promise<string>): void {
  const end = res.end.bind(res);
  const chunks: Buffer[] = [];
  res.write = ((chunk: string | Uint8Array) => {
    chunks.push(Buffer.from(chunk));
    return true;
  }) as typeof res.write;
  res.end = ((chunk?: string | Uint8Array | (() => void)) => {
    if (chunk !== undefined && typeof chunk !== "function") chunks.push(Buffer.from(chunk));
    const original = Buffer.concat(chunks).toString("utf8");
    // A rewrite that fails (a tamper function that throws) sends the original: the flow never hangs.
    void rewrite(original)
      .catch(() => original)
      .then((body) => {
        // Koa has set Content-Length for the original body; headers are not sent until end().
        if (!res.headersSent) res.setHeader("content-length", Buffer.byteLength(body));
        end(body);
      });
    return res;
  }) as typeof res.end;
}

export async function startUpstreamOidc(options: UpstreamOidcOptions): Promise<UpstreamOidc> {
  const Provider = await loadProvider();
  const keys = [signingKey("RS256"), signingKey("ES256")];
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const provider = new Provider(issuer, {
    clients: options.clients.map((c) => ({
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: c.client_secret === undefined ? "none" : "client_secret_basic",
      ...c,
    })),
    adapter: memoryAdapter(),
    jwks: { keys: keys.map((k) => k.privateJwk) },
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    scopes: ["openid", "offline_access", "email", "profile"],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) =>
      client.grantTypeAllowed("refresh_token"),
    // Every lifetime given, as oidc-provider asks (it prints a notice for each one left to its default).
    ttl: {
      AccessToken: options.accessTokenTtl ?? 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
      Interaction: 3600,
      Session: 14 * 24 * 3600,
    },
    findAccount: async (_ctx: unknown, sub: string) => {
      const user = upstream.users.find((u) => u.sub === sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        claims: async () => ({
          sub,
          email: user.email,
          email_verified: user.email_verified,
          name: user.name,
        }),
      };
    },
    // The defaults of these print a notice asking to change them; a test provider needs no CORS.
    clientBasedCORS: () => false,
    renderError: async (ctx: { type: string; body: string }, out: Record<string, string>) => {
      ctx.type = "html";
      ctx.body = htmlPage(
        "Sign-in error",
        `<h1>Sign-in error</h1><p role="alert">${escapeHtml(`${out.error}: ${out.error_description}`)}</p>`,
      );
    },
  });
  // oidc-provider answers its own failures (500, server_error) and emits them here; protocol errors
  // (invalid_grant, access_denied...) are answers, not failures, and are not collected.
  provider.on("server_error", (_ctx, error) => upstream.errors.push(error));
  const oidc = provider.callback();

  /** The ID token in a token response, rewritten by `tamperIdToken` and signed again with its key. */
  async function tamper(body: string): Promise<string> {
    const rewrite = upstream.tamperIdToken;
    const json = JSON.parse(body) as { id_token?: string };
    if (!rewrite || typeof json.id_token !== "string") return body;
    const header = decodeProtectedHeader(json.id_token) as Record<string, unknown>;
    const answer = await rewrite({ header, claims: decodeJwt(json.id_token) });
    if (typeof answer === "string") json.id_token = answer;
    else {
      const key = keys.find((k) => k.kid === answer.header.kid) ?? keys[0]!;
      json.id_token = await new SignJWT(answer.claims)
        .setProtectedHeader({ ...answer.header, alg: String(answer.header.alg ?? key.alg) })
        .sign(key.privateKey);
    }
    return JSON.stringify(json);
  }

  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    upstream.requests.push(`${req.method} ${req.url}`);
    const url = new URL(req.url ?? "/", issuer);
    const path = url.pathname.split("/").filter(Boolean);
    if (path[0] === "interaction") {
      handleInteraction(provider, upstream.users, req, res, path[2]).catch((error: Error) => {
        upstream.errors.push(error);
        if (!res.headersSent) res.writeHead(400, { "content-type": "text/html; charset=utf-8" });
        res.end(htmlPage("Sign-in error", `<p role="alert">${escapeHtml(error.message)}</p>`));
      });
      return;
    }
    if (req.method === "POST" && url.pathname === "/token") interceptBody(res, tamper);
    oidc(req, res);
  });

  const upstream: UpstreamOidc = {
    issuer,
    url: issuer,
    users: options.users,
    jwks: keys.map((k) => publicJwk(k.privateJwk)),
    requests: [],
    errors: [],
    async signIn(authorizationUrl, signIn) {
      const browser = signIn.browser ?? new HttpBrowser();
      const away = (next: URL) => next.origin !== issuer;
      let page = await browser.follow(authorizationUrl, { stop: away });
      for (let step = 0; page.response; step++) {
        const prompt = /data-prompt="(\w+)"/.exec(page.body ?? "")?.[1];
        if (step > 4 || !prompt) {
          throw new Error(
            `unexpected page at ${page.url.href} (${page.response.status}): ${page.body?.slice(0, 300)}`,
          );
        }
        if (prompt === "login") {
          // The page came back with its error: the credentials were refused; trying again changes nothing.
          const refused = step > 0 && /role="alert"[^>]*>([^<]*)</.exec(page.body ?? "")?.[1];
          if (refused) throw new Error(`the upstream refused the sign-in: ${refused}`);
          const user = upstream.users.find((u) => u.email === signIn.email);
          page = await browser.submit(
            page,
            {
              email: signIn.email,
              password: signIn.password ?? user?.password ?? UPSTREAM_PASSWORD,
              action: signIn.cancel ? "cancel" : "sign-in",
            },
            { stop: away },
          );
        } else page = await browser.submit(page, { action: signIn.consent ?? "allow" }, { stop: away });
      }
      return page.url;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
  return upstream;
}
