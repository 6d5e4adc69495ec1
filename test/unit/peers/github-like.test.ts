// The GitHub-like OAuth 2.0 provider the social sign-in tests use, driven by openid-client 6's plain
// OAuth 2.0 functions (no discovery, no ID token) against a Configuration written by hand, as authd
// will configure GitHub: the code flow with PKCE and state, /user and /user/emails, each user shape a
// mapping must handle, and each refusal, GitHub's quirks included.
import http from "node:http";
import * as client from "openid-client";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type GithubLike, type GithubUser, startGithubLike } from "../../helpers/peers/github-like.js";
import { HttpBrowser } from "../../helpers/peers/http-browser.js";
import { openTcpHandles, refusesConnections, tcpHandlesSettleAt } from "../../helpers/peers/sockets.js";

const CALLBACK = "http://127.0.0.1:9/auth/github/callback";

const OCTO: GithubUser = {
  id: 1,
  login: "octocat",
  name: "The Octocat",
  email: "octocat@example.com",
  emails: [{ email: "octocat@example.com", primary: true, verified: true, visibility: "public" }],
};
/** Keeps the address private: /user says null, /user/emails still has it. */
const PRIVATE: GithubUser = {
  id: 2,
  login: "private",
  name: null,
  email: null,
  emails: [{ email: "private@example.com", primary: true, verified: true, visibility: "private" }],
};
/** The primary address is not verified; a verified one is not primary. */
const UNVERIFIED: GithubUser = {
  id: 3,
  login: "unverified",
  name: "Un Verified",
  email: "new@example.com",
  emails: [
    { email: "new@example.com", primary: true, verified: false, visibility: "public" },
    { email: "old@example.com", primary: false, verified: true, visibility: null },
  ],
};

let clock = Date.now();
let github: GithubLike;
let config: client.Configuration;

function configuration(secret = "app-secret"): client.Configuration {
  const c = new client.Configuration(
    {
      issuer: github.url,
      authorization_endpoint: github.authorizationEndpoint,
      token_endpoint: github.tokenEndpoint,
    },
    "app-id",
    secret,
  );
  client.allowInsecureRequests(c);
  return c;
}

/** Starts a sign-in: the authorization URL, and what the client keeps to finish it. */
async function start(extra: Record<string, string> = {}) {
  const pkceCodeVerifier = client.randomPKCECodeVerifier();
  const expectedState = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: CALLBACK,
    scope: "read:user user:email",
    code_challenge: await client.calculatePKCECodeChallenge(pkceCodeVerifier),
    code_challenge_method: "S256",
    state: expectedState,
    ...extra,
  });
  return { url, checks: { pkceCodeVerifier, expectedState } };
}

/** The browser's trip to GitHub and back: where GitHub sends it (not fetched). */
async function approve(url: URL): Promise<URL> {
  const landing = await new HttpBrowser().follow(url, { stop: (next) => next.origin !== github.url });
  expect(landing.response).toBeUndefined();
  return landing.url;
}

async function getJson(token: string, endpoint: string): Promise<{ status: number; body: unknown }> {
  const response = await client.fetchProtectedResource(config, token, new URL(endpoint), "GET");
  return { status: response.status, body: await response.json() };
}

async function signIn(login?: string) {
  const { url, checks } = await start(login ? { login } : {});
  return client.authorizationCodeGrant(config, await approve(url), checks);
}

beforeAll(async () => {
  github = await startGithubLike({
    users: [OCTO, PRIVATE, UNVERIFIED],
    apps: [{ client_id: "app-id", client_secret: "app-secret", callback_url: CALLBACK }],
    now: () => clock,
  });
  config = configuration();
});

afterAll(async () => {
  await github?.close();
});

describe("a sign-in through the GitHub-like provider with openid-client's OAuth 2.0 functions", () => {
  test("the code comes back with the state and no iss, and redeems with PKCE for a bearer token", async () => {
    const { url, checks } = await start();
    const callback = await approve(url);
    expect(callback.origin + callback.pathname).toBe(CALLBACK);
    expect(callback.searchParams.get("code")).toMatch(/^[0-9a-f]{20}$/);
    expect(callback.searchParams.get("state")).toBe(checks.expectedState);
    expect(callback.searchParams.has("iss")).toBe(false);
    const tokens = await client.authorizationCodeGrant(config, callback, checks);
    expect(tokens.token_type).toBe("bearer");
    expect(tokens.access_token).toMatch(/^gho_/);
    expect(tokens.scope).toBe("read:user,user:email");
    expect(tokens.id_token).toBeUndefined();
    expect(github.requests.some((r) => r.startsWith("POST /login/oauth/access_token"))).toBe(true);
  });

  test("/user and /user/emails describe the signed-in user, with the verified primary address", async () => {
    const tokens = await signIn();
    expect(await getJson(tokens.access_token, github.userEndpoint)).toEqual({
      status: 200,
      body: expect.objectContaining({
        id: 1,
        login: "octocat",
        name: "The Octocat",
        email: "octocat@example.com",
      }),
    });
    expect(await getJson(tokens.access_token, github.emailsEndpoint)).toEqual({
      status: 200,
      body: OCTO.emails,
    });
  });

  test("a user without a public address: /user's email is null, /user/emails still lists the verified primary", async () => {
    const tokens = await signIn("private");
    expect((await getJson(tokens.access_token, github.userEndpoint)).body).toMatchObject({
      login: "private",
      email: null,
      name: null,
    });
    expect((await getJson(tokens.access_token, github.emailsEndpoint)).body).toEqual([
      { email: "private@example.com", primary: true, verified: true, visibility: "private" },
    ]);
  });

  test("a user whose primary address is unverified: /user shows it all the same, /user/emails says it is not", async () => {
    const tokens = await signIn("unverified");
    expect((await getJson(tokens.access_token, github.userEndpoint)).body).toMatchObject({
      email: "new@example.com",
    });
    const emails = (await getJson(tokens.access_token, github.emailsEndpoint)).body as {
      primary: boolean;
      verified: boolean;
    }[];
    expect(emails.find((e) => e.primary)).toMatchObject({ email: "new@example.com", verified: false });
  });

  test("signedInAs picks who approves when the request names no login", async () => {
    github.signedInAs = "private";
    try {
      const tokens = await signIn();
      expect((await getJson(tokens.access_token, github.userEndpoint)).body).toMatchObject({
        login: "private",
      });
    } finally {
      github.signedInAs = "octocat";
    }
  });

  test("the app may authenticate with HTTP Basic instead of the form body", async () => {
    const basic = new client.Configuration(
      {
        issuer: github.url,
        authorization_endpoint: github.authorizationEndpoint,
        token_endpoint: github.tokenEndpoint,
      },
      "app-id",
      undefined,
      client.ClientSecretBasic("app-secret"),
    );
    client.allowInsecureRequests(basic);
    const { url, checks } = await start();
    const tokens = await client.authorizationCodeGrant(basic, await approve(url), checks);
    expect(tokens.access_token).toMatch(/^gho_/);
  });

  test("form-encoded token responses unless JSON is asked for, as GitHub answers", async () => {
    const { url, checks } = await start();
    const code = (await approve(url)).searchParams.get("code")!;
    const response = await fetch(github.tokenEndpoint, {
      method: "POST",
      body: new URLSearchParams({
        client_id: "app-id",
        client_secret: "app-secret",
        code,
        code_verifier: checks.pkceCodeVerifier,
      }),
    });
    expect(response.headers.get("content-type")).toBe("application/x-www-form-urlencoded");
    const body = new URLSearchParams(await response.text());
    expect(body.get("token_type")).toBe("bearer");
    expect(body.get("access_token")).toMatch(/^gho_/);
  });
});

describe("refusals", () => {
  test("deny: the user cancels, and error=access_denied comes back with the state", async () => {
    github.deny = true;
    try {
      const { url, checks } = await start();
      const callback = await approve(url);
      expect(callback.searchParams.get("error")).toBe("access_denied");
      expect(callback.searchParams.get("state")).toBe(checks.expectedState);
      await expect(client.authorizationCodeGrant(config, callback, checks)).rejects.toMatchObject({
        error: "access_denied",
      });
    } finally {
      github.deny = false;
    }
  });

  test("a redirect_uri outside the callback URL sends the browser to the registered callback with redirect_uri_mismatch", async () => {
    const { url } = await start({ redirect_uri: "http://127.0.0.1:9/elsewhere" });
    const callback = await approve(url);
    expect(callback.origin + callback.pathname).toBe(CALLBACK);
    expect(callback.searchParams.get("error")).toBe("redirect_uri_mismatch");
  });

  test("a path below the registered callback is accepted, as GitHub accepts it", async () => {
    const { url } = await start({ redirect_uri: `${CALLBACK}/tenant-a` });
    const callback = await approve(url);
    expect(callback.pathname).toBe("/auth/github/callback/tenant-a");
    expect(callback.searchParams.has("code")).toBe(true);
  });

  /**
   * GitHub answers token errors with HTTP 200: openid-client finds no access_token and refuses the
   * body as an invalid response (its ClientError wraps oauth4webapi's, whose cause holds the body).
   */
  async function expectTokenError(promise: Promise<unknown>, error: string) {
    await expect(promise).rejects.toMatchObject({
      code: "OAUTH_INVALID_RESPONSE",
      cause: { cause: { body: { error } } },
    });
  }

  test("a wrong PKCE verifier, or none when a challenge was sent, is bad_verification_code", async () => {
    const first = await start();
    await expectTokenError(
      client.authorizationCodeGrant(config, await approve(first.url), {
        ...first.checks,
        pkceCodeVerifier: client.randomPKCECodeVerifier(),
      }),
      "bad_verification_code",
    );
    const second = await start();
    const code = (await approve(second.url)).searchParams.get("code")!;
    const response = await fetch(github.tokenEndpoint, {
      method: "POST",
      headers: { accept: "application/json" },
      body: new URLSearchParams({ client_id: "app-id", client_secret: "app-secret", code }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ error: "bad_verification_code" });
  });

  test("a code used twice, or after its 10 minutes, is bad_verification_code", async () => {
    const first = await start();
    const callback = await approve(first.url);
    await client.authorizationCodeGrant(config, callback, first.checks);
    await expectTokenError(
      client.authorizationCodeGrant(config, callback, first.checks),
      "bad_verification_code",
    );

    const second = await start();
    const late = await approve(second.url);
    clock += 10 * 60 * 1000;
    await expectTokenError(
      client.authorizationCodeGrant(config, late, second.checks),
      "bad_verification_code",
    );
  });

  test("a wrong client secret is incorrect_client_credentials", async () => {
    const { url, checks } = await start();
    const callback = await approve(url);
    await expectTokenError(
      client.authorizationCodeGrant(configuration("not-the-secret"), callback, checks),
      "incorrect_client_credentials",
    );
  });

  test("the API checks the bearer token, the User-Agent, and the scope for /user/emails", async () => {
    const noToken = await fetch(github.userEndpoint);
    expect(noToken.status).toBe(401);
    expect(await noToken.json()).toEqual({ message: "Requires authentication" });
    const badToken = await fetch(github.userEndpoint, { headers: { authorization: "Bearer gho_nope" } });
    expect(badToken.status).toBe(401);
    expect(await badToken.json()).toEqual({ message: "Bad credentials" });

    const tokens = await signIn();
    // GitHub's own scheme name works too.
    const legacy = await fetch(github.userEndpoint, {
      headers: { authorization: `token ${tokens.access_token}` },
    });
    expect(legacy.status).toBe(200);
    // node's fetch always sends a User-Agent; node:http sends none unless told.
    const status = await new Promise<number>((resolve, reject) => {
      http
        .get(github.userEndpoint, { headers: { authorization: `Bearer ${tokens.access_token}` } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on("error", reject);
    });
    expect(status).toBe(403);

    const { url, checks } = await start({ scope: "read:user" });
    const narrow = await client.authorizationCodeGrant(config, await approve(url), checks);
    expect((await getJson(narrow.access_token, github.userEndpoint)).status).toBe(200);
    expect(await getJson(narrow.access_token, github.emailsEndpoint)).toEqual({
      status: 404,
      body: { message: "Not Found" },
    });
  });
});

test("close() resolves, the port refuses connections after, and no TCP handle is left open", async () => {
  const before = openTcpHandles();
  const closing = await startGithubLike({ users: [OCTO], apps: [] });
  // A keep-alive connection from fetch's pool, which close() must end too.
  const keepAlive = await fetch(closing.userEndpoint);
  expect(keepAlive.status).toBe(401);
  expect(openTcpHandles()).toBeGreaterThan(before);
  await closing.close();
  expect(await refusesConnections(closing.url)).toBe(true);
  expect(await tcpHandlesSettleAt(before)).toBeLessThanOrEqual(before);
});
