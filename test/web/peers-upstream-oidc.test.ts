// The upstream OpenID Provider the social sign-in tests use (oidc-provider on loopback), proven with
// openid-client 6 as the relying party (no authd here): discovery, the code flow with PKCE and nonce
// walked by the HTTP-level driver and by headless Chromium, the ID token validated by the library,
// userinfo, refresh, the JWKS, each refusal a relying party meets, and a clean close.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { generateKeyPair, SignJWT } from "jose";
import * as client from "openid-client";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { launchBrowser } from "../helpers/browser.js";
import { HttpBrowser } from "../helpers/peers/http-browser.js";
import { openTcpHandles, refusesConnections, tcpHandlesSettleAt } from "../helpers/peers/sockets.js";
import { startUpstreamOidc, type UpstreamOidc, type UpstreamUser } from "../helpers/peers/upstream-oidc.js";

const REDIRECT_URI = "http://127.0.0.1:9/callback";
const ADA: UpstreamUser = {
  sub: "ada-1",
  email: "ada@example.com",
  email_verified: true,
  name: "Ada Lovelace",
};
const BOB: UpstreamUser = {
  sub: "bob-2",
  email: "bob@example.com",
  email_verified: false,
  name: "Bob",
  password: "bob's own",
};

let upstream: UpstreamOidc;
let config: client.Configuration;

async function discover(clientId: string, secret?: string): Promise<client.Configuration> {
  return client.discovery(
    new URL(upstream.issuer),
    clientId,
    secret,
    secret === undefined ? client.None() : client.ClientSecretBasic(secret),
    { execute: [client.allowInsecureRequests] },
  );
}

/** A fresh authorization request: its URL and what the relying party keeps to check the answer. */
async function authorizationRequest(configuration = config, extra: Record<string, string> = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const checks = {
    pkceCodeVerifier: verifier,
    expectedNonce: client.randomNonce(),
    expectedState: client.randomState(),
  };
  const url = client.buildAuthorizationUrl(configuration, {
    redirect_uri: REDIRECT_URI,
    scope: "openid email profile",
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    nonce: checks.expectedNonce,
    state: checks.expectedState,
    ...extra,
  });
  return { url, checks };
}

beforeAll(async () => {
  upstream = await startUpstreamOidc({
    users: [ADA, BOB],
    clients: [
      { client_id: "rp", client_secret: "rp-secret", redirect_uris: [REDIRECT_URI], client_name: "Test RP" },
      {
        client_id: "rp-es256",
        client_secret: "es-secret",
        redirect_uris: [REDIRECT_URI],
        id_token_signed_response_alg: "ES256",
      },
      { client_id: "rp-public", redirect_uris: [REDIRECT_URI] },
    ],
  });
  config = await discover("rp", "rp-secret");
});

afterAll(async () => {
  await upstream?.close();
  // No flow above, refusals included, made the provider fail on its side.
  expect(upstream?.errors).toEqual([]);
});

describe("the upstream OpenID Provider, driven by openid-client", () => {
  test("discovery names the loopback issuer, code flow only, PKCE S256 and both signing algorithms", () => {
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(upstream.issuer);
    expect(upstream.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(metadata.code_challenge_methods_supported).toEqual(["S256"]);
    expect(metadata.response_types_supported).toContain("code");
    expect(metadata.id_token_signing_alg_values_supported).toEqual(
      expect.arrayContaining(["RS256", "ES256"]),
    );
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
  });

  test("the full code flow with PKCE and nonce: the library validates an RS256 ID token carrying the user", async () => {
    const { url, checks } = await authorizationRequest();
    const callback = await upstream.signIn(url, { email: ADA.email });
    expect(callback.origin + callback.pathname).toBe(REDIRECT_URI);
    expect(callback.searchParams.get("iss")).toBe(upstream.issuer);
    const tokens = await client.authorizationCodeGrant(config, callback, checks);
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({
      iss: upstream.issuer,
      aud: "rp",
      sub: ADA.sub,
      nonce: checks.expectedNonce,
      email: ADA.email,
      email_verified: true,
      name: ADA.name,
    });
    expect(JSON.parse(Buffer.from(tokens.id_token!.split(".")[0]!, "base64url").toString())).toMatchObject({
      alg: "RS256",
    });
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, ADA.sub);
    expect(userinfo).toMatchObject({ sub: ADA.sub, email: ADA.email, email_verified: true, name: ADA.name });
    expect(upstream.errors).toEqual([]);
  });

  test("a refresh token is issued and refreshes the access and ID tokens", async () => {
    const { url, checks } = await authorizationRequest();
    const tokens = await client.authorizationCodeGrant(
      config,
      await upstream.signIn(url, { email: ADA.email }),
      checks,
    );
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.claims()).toMatchObject({ sub: ADA.sub, email: ADA.email });
    const userinfo = await client.fetchUserInfo(config, refreshed.access_token, ADA.sub);
    expect(userinfo.email).toBe(ADA.email);
  });

  test("a client registered for ES256 gets ES256 ID tokens, and they validate", async () => {
    const es = await discover("rp-es256", "es-secret");
    const { url, checks } = await authorizationRequest(es);
    const tokens = await client.authorizationCodeGrant(
      es,
      await upstream.signIn(url, { email: ADA.email }),
      checks,
    );
    expect(JSON.parse(Buffer.from(tokens.id_token!.split(".")[0]!, "base64url").toString()).alg).toBe(
      "ES256",
    );
    expect(tokens.claims()?.sub).toBe(ADA.sub);
  });

  test("a public client (no secret) completes the flow with PKCE alone", async () => {
    const pub = await discover("rp-public");
    const { url, checks } = await authorizationRequest(pub);
    const tokens = await client.authorizationCodeGrant(
      pub,
      await upstream.signIn(url, { email: ADA.email }),
      checks,
    );
    expect(tokens.claims()?.sub).toBe(ADA.sub);
  });

  test("a user with an unverified address and a password of their own", async () => {
    const { url, checks } = await authorizationRequest();
    const tokens = await client.authorizationCodeGrant(
      config,
      await upstream.signIn(url, { email: BOB.email }),
      checks,
    );
    expect(tokens.claims()).toMatchObject({ sub: BOB.sub, email: BOB.email, email_verified: false });
  });

  test("in the same browser, a second request signs in without the pages (session and consent remembered)", async () => {
    const browser = new HttpBrowser();
    const first = await authorizationRequest();
    await upstream.signIn(first.url, { email: ADA.email, browser });
    const pagesBefore = browser.history.filter((h) => h.includes("/interaction/")).length;
    expect(pagesBefore).toBeGreaterThan(0);
    const second = await authorizationRequest();
    const callback = await upstream.signIn(second.url, { email: ADA.email, browser });
    expect(browser.history.filter((h) => h.includes("/interaction/")).length).toBe(pagesBefore);
    const tokens = await client.authorizationCodeGrant(config, callback, second.checks);
    expect(tokens.claims()?.sub).toBe(ADA.sub);
  });
});

describe("what a relying party meets when things go wrong", () => {
  test("the user denies consent, or cancels the sign-in: error=access_denied comes back with the state", async () => {
    for (const answer of [{ consent: "deny" as const }, { cancel: true }]) {
      const { url, checks } = await authorizationRequest();
      const callback = await upstream.signIn(url, { email: ADA.email, ...answer });
      expect(callback.searchParams.get("error")).toBe("access_denied");
      expect(callback.searchParams.get("state")).toBe(checks.expectedState);
      await expect(client.authorizationCodeGrant(config, callback, checks)).rejects.toMatchObject({
        error: "access_denied",
      });
    }
  });

  test("a wrong password is refused at the sign-in page", async () => {
    const { url } = await authorizationRequest();
    await expect(upstream.signIn(url, { email: ADA.email, password: "nope" })).rejects.toThrow(
      "the upstream refused the sign-in: Wrong email or password.",
    );
  });

  test("PKCE is required: a request without a code challenge is answered with invalid_request", async () => {
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: "openid email",
      state: "s1",
    });
    const callback = await upstream.signIn(url, { email: ADA.email });
    expect(callback.searchParams.get("error")).toBe("invalid_request");
    expect(callback.searchParams.get("error_description")).toMatch(/PKCE/);
  });

  test("a wrong code verifier, and a code used twice, are invalid_grant", async () => {
    const { url, checks } = await authorizationRequest();
    const callback = await upstream.signIn(url, { email: ADA.email });
    await expect(
      client.authorizationCodeGrant(config, callback, {
        ...checks,
        pkceCodeVerifier: client.randomPKCECodeVerifier(),
      }),
    ).rejects.toMatchObject({ error: "invalid_grant" });
    const again = await authorizationRequest();
    const code = await upstream.signIn(again.url, { email: ADA.email });
    await client.authorizationCodeGrant(config, code, again.checks);
    await expect(client.authorizationCodeGrant(config, code, again.checks)).rejects.toMatchObject({
      error: "invalid_grant",
    });
  });

  test("tamperIdToken: a wrong nonce, audience or issuer in a properly signed ID token is refused by the library", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ nonce: "someone else's" }, "nonce"],
      [{ aud: "another-client" }, "aud"],
      [{ iss: "https://issuer.example" }, "iss"],
    ];
    try {
      for (const [claims, claim] of cases) {
        upstream.tamperIdToken = (token) => ({ ...token, claims: { ...token.claims, ...claims } });
        const { url, checks } = await authorizationRequest();
        const callback = await upstream.signIn(url, { email: ADA.email });
        await expect(client.authorizationCodeGrant(config, callback, checks)).rejects.toMatchObject({
          // openid-client's ClientError wraps oauth4webapi's, whose cause names the claim.
          code: "OAUTH_JWT_CLAIM_COMPARISON_FAILED",
          cause: { cause: { claim } },
        });
      }
      // The rewrite is signed with the provider's key: an untouched rewrite still validates.
      upstream.tamperIdToken = (token) => token;
      const { url, checks } = await authorizationRequest();
      const tokens = await client.authorizationCodeGrant(
        config,
        await upstream.signIn(url, { email: ADA.email }),
        checks,
      );
      expect(tokens.claims()?.sub).toBe(ADA.sub);
    } finally {
      upstream.tamperIdToken = undefined;
    }
  });

  test("an ID token signed by a key the JWKS does not publish is refused only with enableNonRepudiationChecks", async () => {
    // OpenID Connect Core §3.1.3.7: an ID token taken straight from the token endpoint may be trusted
    // on the strength of the connection (TLS) instead of its signature, and openid-client does so by
    // default. A relying party that wants the signature checked (or talks http) must ask for it.
    const stray = await generateKeyPair("ES256");
    upstream.tamperIdToken = ({ claims }) =>
      new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid: "stray" }).sign(stray.privateKey);
    try {
      const trusting = await authorizationRequest();
      const accepted = await client.authorizationCodeGrant(
        config,
        await upstream.signIn(trusting.url, { email: ADA.email }),
        trusting.checks,
      );
      expect(accepted.claims()?.sub).toBe(ADA.sub);

      const checking = await discover("rp", "rp-secret");
      client.enableNonRepudiationChecks(checking);
      const forged = await authorizationRequest(checking);
      const callback = await upstream.signIn(forged.url, { email: ADA.email });
      await expect(client.authorizationCodeGrant(checking, callback, forged.checks)).rejects.toMatchObject({
        code: "OAUTH_KEY_SELECTION_FAILED",
      });
    } finally {
      upstream.tamperIdToken = undefined;
    }
  });

  test("an unregistered redirect_uri is refused at the provider, never redirected to", async () => {
    const { url } = await authorizationRequest(config, { redirect_uri: "http://127.0.0.1:9/elsewhere" });
    const response = await fetch(url, { redirect: "manual" });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain(
      "redirect_uri did not match any of the client&#39;s registered redirect_uris",
    );
  });
});

test("the JWKS serves the RS256 and ES256 public keys, and nothing private", async () => {
  const response = await fetch(`${upstream.issuer}/jwks`);
  expect(response.status).toBe(200);
  const { keys } = (await response.json()) as { keys: Record<string, unknown>[] };
  expect(keys.map((k) => k.kty).sort()).toEqual(["EC", "RSA"]);
  expect(keys.map((k) => k.kid).sort()).toEqual(upstream.jwks.map((k) => k.kid).sort());
  for (const key of keys)
    for (const part of ["d", "p", "q", "dp", "dq", "qi"]) expect(key).not.toHaveProperty(part);
});

test("headless Chromium signs in and consents by filling the labelled form, and the callback receives the code", async () => {
  const received: URL[] = [];
  const callbackServer = http.createServer((req, res) => {
    received.push(new URL(req.url ?? "/", "http://127.0.0.1"));
    res.writeHead(200, { "content-type": "text/html" }).end("<p>Signed in</p>");
  });
  await new Promise<void>((resolve) => callbackServer.listen(0, "127.0.0.1", resolve));
  const redirectUri = `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}/callback`;
  const local = await startUpstreamOidc({
    users: [ADA],
    clients: [{ client_id: "browser-rp", client_secret: "s", redirect_uris: [redirectUri] }],
  });
  const browser = await launchBrowser();
  try {
    const rp = await client.discovery(new URL(local.issuer), "browser-rp", "s", undefined, {
      execute: [client.allowInsecureRequests],
    });
    const verifier = client.randomPKCECodeVerifier();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(rp, {
      redirect_uri: redirectUri,
      scope: "openid email profile",
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      nonce,
    });
    const page = await browser.newPage();
    await page.goto(url.href);
    await page.getByLabel("Email").fill(ADA.email);
    await page.getByLabel("Password").fill("upstream password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("button", { name: "Allow" }).click();
    await page.getByText("Signed in").waitFor();
    expect(received).toHaveLength(1);
    const callback = new URL(`${redirectUri}${received[0]!.search}`);
    const tokens = await client.authorizationCodeGrant(rp, callback, {
      pkceCodeVerifier: verifier,
      expectedNonce: nonce,
    });
    expect(tokens.claims()).toMatchObject({ sub: ADA.sub, email: ADA.email });
  } finally {
    await browser.close();
    await local.close();
    callbackServer.closeAllConnections();
    await new Promise<void>((resolve) => callbackServer.close(() => resolve()));
  }
});

test("close() resolves, the port refuses connections after, and no TCP handle is left open", async () => {
  const before = openTcpHandles();
  const closing = await startUpstreamOidc({
    users: [ADA],
    clients: [{ client_id: "c", client_secret: "s", redirect_uris: [REDIRECT_URI] }],
  });
  // A whole flow, so that the provider has sockets, sessions and tokens to leave behind if it could.
  const rp = await client.discovery(new URL(closing.issuer), "c", "s", undefined, {
    execute: [client.allowInsecureRequests],
  });
  const verifier = client.randomPKCECodeVerifier();
  const url = client.buildAuthorizationUrl(rp, {
    redirect_uri: REDIRECT_URI,
    scope: "openid",
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
  });
  await client.authorizationCodeGrant(rp, await closing.signIn(url, { email: ADA.email }), {
    pkceCodeVerifier: verifier,
  });
  expect(openTcpHandles()).toBeGreaterThan(before);
  await closing.close();
  expect(await refusesConnections(closing.url)).toBe(true);
  expect(await tcpHandlesSettleAt(before)).toBeLessThanOrEqual(before);
});
