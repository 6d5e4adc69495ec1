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
// - Sign-in and consent are two minimal HTML pages with labelled fields and no script: headless
//   Chromium fills them (Email, Password, then Allow or Deny), and `signIn` below walks them at the
//   HTTP level through an HttpBrowser.
// - `tamperIdToken` rewrites the ID token of the next token responses: the wrong nonce, iss or aud a
//   relying party must refuse, re-signed with the provider's own key so that only the claim is wrong.
import { createPrivateKey, generateKeyPairSync, type KeyObject, randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { decodeJwt, decodeProtectedHeader, type JWK, type JWTPayload, SignJWT } from "jose";
import { HttpBrowser } from "./http-browser.js";
import { memoryAdapter } from "./oidc-memory-adapter.js";
import { escapeHtml, htmlPage, readForm } from "./pages.js";

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
  /** Errors oidc-provider reported (server_error and friends); a test can assert there were none. */
  errors: Error[];
  /** When set, rewrites the ID token of every token response (authorization code and refresh). */
  tamperIdToken?: (token: IdTokenParts) => IdTokenParts | string;
  /**
   * Walks an authorization request like a person in a browser: sign in, consent, and answers the
   * redirect back to the client (its redirect_uri with code, state and iss, or with error) unfetched.
   */
  signIn(authorizationUrl: URL | string, options: SignInOptions): Promise<URL>;
  close(): Promise<void>;
}

export const UPSTREAM_PASSWORD = "upstream password";

/** The narrow part of oidc-provider this module uses: the package ships no type declarations. */
interface Interaction {
  uid: string;
  prompt: { name: string; details: Record<string, unknown> };
  params: Record<string, unknown>;
  session?: { accountId: string };
  grantId?: string;
}
interface Grant {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  addResourceScope(indicator: string, scope: string): void;
  save(): Promise<string>;
}
interface OidcProvider {
  callback(): (req: http.IncomingMessage, res: http.ServerResponse) => void;
  interactionDetails(req: http.IncomingMessage, res: http.ServerResponse): Promise<Interaction>;
  interactionFinished(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    result: Record<string, unknown>,
    options?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>;
  Grant: {
    new (init: { accountId: string; clientId: string }): Grant;
    find(id: string): Promise<Grant | undefined>;
  };
  Client: { find(id: string): Promise<{ clientId: string; clientName?: string } | undefined> };
  on(event: string, listener: (ctx: unknown, error: Error) => void): void;
}
type ProviderClass = new (issuer: string, configuration: Record<string, unknown>) => OidcProvider;

/**
 * Loads oidc-provider through a specifier typed as a plain string, so TypeScript does not look for
 * declarations the package does not ship (and no ambient `declare module` of ours can collide with
 * one that authd's own code may declare).
 */
async function loadProvider(): Promise<ProviderClass> {
  const specifier: string = "oidc-provider";
  const module = (await import(specifier)) as { default: ProviderClass };
  return module.default;
}

interface SigningKey {
  kid: string;
  alg: string;
  privateJwk: JWK;
  privateKey: KeyObject;
}

function signingKey(alg: "RS256" | "ES256"): SigningKey {
  const { privateKey } =
    alg === "RS256"
      ? generateKeyPairSync("rsa", { modulusLength: 2048 })
      : generateKeyPairSync("ec", { namedCurve: "P-256" });
  const kid = `${alg.toLowerCase()}-${randomBytes(4).toString("hex")}`;
  const privateJwk = { ...(privateKey.export({ format: "jwk" }) as JWK), kid, alg, use: "sig" };
  return { kid, alg, privateJwk, privateKey: createPrivateKey({ key: privateJwk as never, format: "jwk" }) };
}

function publicJwk({ d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...rest }: JWK): JWK {
  return rest;
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
    void rewrite(Buffer.concat(chunks).toString("utf8")).then((body) => {
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
  for (const event of ["server_error", "authorization.error", "grant.error", "userinfo.error"]) {
    provider.on(event, (_ctx, error) => {
      if (event === "server_error" || (error as { status?: number }).status === 500)
        upstream.errors.push(error);
    });
  }
  const oidc = provider.callback();

  /** The ID token in a token response, rewritten by `tamperIdToken` and signed again with its key. */
  async function tamper(body: string): Promise<string> {
    const rewrite = upstream.tamperIdToken;
    const json = JSON.parse(body) as { id_token?: string };
    if (!rewrite || typeof json.id_token !== "string") return body;
    const header = decodeProtectedHeader(json.id_token) as Record<string, unknown>;
    const answer = rewrite({ header, claims: decodeJwt(json.id_token) });
    if (typeof answer === "string") json.id_token = answer;
    else {
      const key = keys.find((k) => k.kid === answer.header.kid) ?? keys[0]!;
      json.id_token = await new SignJWT(answer.claims)
        .setProtectedHeader({ ...answer.header, alg: String(answer.header.alg ?? key.alg) })
        .sign(key.privateKey);
    }
    return JSON.stringify(json);
  }

  async function interaction(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    path: string[],
  ): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    const client = await provider.Client.find(String(details.params.client_id));
    const clientName = client?.clientName ?? client?.clientId ?? "an application";
    const send = (status: number, html: string): void => {
      res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
      res.end(html);
    };
    const [, uid, step] = path;
    if (req.method === "GET" && step === undefined) {
      if (details.prompt.name === "login") return send(200, loginPage(uid!, clientName));
      if (details.prompt.name === "consent") return send(200, consentPage(uid!, clientName, details));
      return send(
        400,
        htmlPage("Sign-in error", `<p role="alert">Unknown prompt ${details.prompt.name}</p>`),
      );
    }
    const form = await readForm(req);
    if (req.method === "POST" && step === "login") {
      if (form.get("action") === "cancel") return abort(req, res);
      const email = (form.get("email") ?? "").trim().toLowerCase();
      const user = upstream.users.find((u) => u.email.toLowerCase() === email);
      if (!user || form.get("password") !== (user.password ?? UPSTREAM_PASSWORD)) {
        return send(401, loginPage(uid!, clientName, "Wrong email or password."));
      }
      return provider.interactionFinished(
        req,
        res,
        { login: { accountId: user.sub, amr: ["pwd"] } },
        { mergeWithLastSubmission: false },
      );
    }
    if (req.method === "POST" && step === "confirm") {
      if (form.get("action") !== "allow") return abort(req, res);
      return provider.interactionFinished(
        req,
        res,
        { consent: { grantId: await grantAll(details) } },
        { mergeWithLastSubmission: true },
      );
    }
    send(404, htmlPage("Not found", "<p>Not found</p>"));
  }

  /** The user said no: the client gets error=access_denied at its redirect_uri. */
  function abort(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    return provider.interactionFinished(
      req,
      res,
      { error: "access_denied", error_description: "End-User aborted interaction" },
      { mergeWithLastSubmission: false },
    );
  }

  /** Grants what the consent prompt found missing (oidc-provider's own example does the same). */
  async function grantAll(details: Interaction): Promise<string> {
    const missing = details.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({
          accountId: details.session!.accountId,
          clientId: String(details.params.client_id),
        });
    if (!grant) throw new Error(`grant ${details.grantId} not found`);
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(" "));
    }
    return grant.save();
  }

  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    upstream.requests.push(`${req.method} ${req.url}`);
    const url = new URL(req.url ?? "/", issuer);
    const path = url.pathname.split("/").filter(Boolean);
    if (path[0] === "interaction") {
      interaction(req, res, path).catch((error: Error) => {
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

function loginPage(uid: string, clientName: string, error?: string): string {
  return htmlPage(
    "Sign in",
    `<h1>Sign in to continue to ${escapeHtml(clientName)}</h1>
${error ? `<p role="alert" id="error">${escapeHtml(error)}</p>` : ""}
<form method="post" action="/interaction/${uid}/login" data-prompt="login">
<p><label for="email">Email</label> <input id="email" name="email" type="email" autocomplete="username" required></p>
<p><label for="password">Password</label> <input id="password" name="password" type="password" autocomplete="current-password"></p>
<p><button type="submit" name="action" value="sign-in">Sign in</button>
<button type="submit" name="action" value="cancel" formnovalidate>Cancel</button></p>
</form>`,
  );
}

function consentPage(uid: string, clientName: string, details: Interaction): string {
  const scopes = String(details.params.scope ?? "")
    .split(" ")
    .filter(Boolean);
  return htmlPage(
    "Allow access",
    `<h1>Allow ${escapeHtml(clientName)} to know who you are?</h1>
<ul>${scopes.map((s) => `<li>${escapeHtml(s)}</li>`).join("")}</ul>
<form method="post" action="/interaction/${uid}/confirm" data-prompt="consent">
<p><button type="submit" name="action" value="allow">Allow</button>
<button type="submit" name="action" value="deny">Deny</button></p>
</form>`,
  );
}
