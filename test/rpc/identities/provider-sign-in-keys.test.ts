// How authd reads a provider's discovery document and JWKS, through a real server against local
// providers the test starts (reached with the development allowance, AUTHD_OUTBOUND_ALLOW_PRIVATE):
// a jwks_uri from discovery is held to https (http only at the host of an issuer on http), and a
// document is read only up to its cap, never whole and then measured. test/outbound-callers.test.ts
// shows the outbound rule refusing provider documents on this machine without the allowance.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AuthService } from "../../../gen/authd/v1/auth_pb.js";
import { jwksUriProblem } from "../../../src/domain/identities/provider-keys.js";
import { expectCode } from "../../helpers/accounts.js";
import { type OidcIssuer, startOidcIssuer } from "../../helpers/oidc-issuer.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";

/** A provider's web server: each path answers by its handler; requests are counted by path. */
interface ProviderServer {
  url: string;
  requests: Record<string, number>;
  close(): Promise<void>;
}

type Handler = (res: http.ServerResponse) => void;

async function startProviderServer(host: string, routes: Record<string, Handler>): Promise<ProviderServer> {
  const requests: Record<string, number> = {};
  const server = http.createServer((req, res) => {
    const path = req.url ?? "";
    requests[path] = (requests[path] ?? 0) + 1;
    const handler = routes[path];
    if (handler) handler(res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const json =
  (body: () => unknown): Handler =>
  (res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(body()));
  };

/** A body that never ends: valid JSON so far, then blanks, up to `limit` bytes, then silence. */
class EndlessBody {
  written = 0;
  /** Settles when authd has hung up. */
  readonly hungUp: Promise<void>;
  private onClose = () => {};

  constructor(private readonly limit = 64 * 1024 * 1024) {
    this.hungUp = new Promise((resolve) => {
      this.onClose = resolve;
    });
  }

  readonly handler: Handler = (res) => {
    res.on("close", this.onClose);
    res.writeHead(200, { "content-type": "application/json" });
    res.write('{"keys":[');
    const chunk = Buffer.alloc(64 * 1024, " ");
    const pump = () => {
      // Only what the socket takes: the count is what authd could have read.
      while (this.written < this.limit && !res.destroyed) {
        this.written += chunk.length;
        if (!res.write(chunk)) return void res.once("drain", pump);
      }
    };
    pump();
  };
}

/** Starts a JSON document, then sends nothing more and never ends it. */
class SilentBody {
  hungUp = false;
  readonly handler: Handler = (res) => {
    res.on("close", () => {
      this.hungUp = true;
    });
    res.writeHead(200, { "content-type": "application/json" });
    res.write('{"keys":[');
  };
}

let server: TestServer;
let issuer: OidcIssuer;
let front: ProviderServer;
let remote: ProviderServer;
let endlessJwksFront: ProviderServer;
let endlessDiscoveryFront: ProviderServer;
const endlessJwks = new EndlessBody();
const endlessDiscovery = new EndlessBody();
let silentFront: ProviderServer;
let nullJwksFront: ProviderServer;
const silent = new SilentBody();

beforeAll(async () => {
  // The issuer's keys sign every token; the providers below publish its key as they are told to.
  issuer = await startOidcIssuer("authd-keys-client");
  const keys = () => ({ keys: [issuer.current.publicJwk] });
  // 127.0.0.2 stands for another host than the issuer's (127.0.0.1).
  remote = await startProviderServer("127.0.0.2", { "/jwks": json(keys) });
  front = await startProviderServer("127.0.0.1", {
    "/.well-known/openid-configuration": json(() => ({ issuer: front.url, jwks_uri: `${remote.url}/jwks` })),
  });
  endlessJwksFront = await startProviderServer("127.0.0.1", {
    "/.well-known/openid-configuration": json(() => ({
      issuer: endlessJwksFront.url,
      jwks_uri: `${endlessJwksFront.url}/jwks`,
    })),
    "/jwks": endlessJwks.handler,
  });
  endlessDiscoveryFront = await startProviderServer("127.0.0.1", {
    "/.well-known/openid-configuration": endlessDiscovery.handler,
  });
  nullJwksFront = await startProviderServer("127.0.0.1", {
    "/.well-known/openid-configuration": json(() => ({
      issuer: nullJwksFront.url,
      jwks_uri: `${nullJwksFront.url}/jwks`,
    })),
    "/jwks": json(() => null),
  });
  silentFront = await startProviderServer("127.0.0.1", {
    "/.well-known/openid-configuration": json(() => ({
      issuer: silentFront.url,
      jwks_uri: `${silentFront.url}/jwks`,
    })),
    "/jwks": silent.handler,
  });
  const provider = (name: string, p: ProviderServer) => ({
    name,
    issuer: p.url,
    client_ids: [issuer.clientId],
  });
  server = await startTestServer({
    AUTHD_OUTBOUND_ALLOW_PRIVATE: "true",
    AUTHD_OIDC_PROVIDERS: JSON.stringify([
      provider("plain-jwks", front),
      provider("endless-jwks", endlessJwksFront),
      provider("endless-discovery", endlessDiscoveryFront),
      provider("silent", silentFront),
      provider("null-jwks", nullJwksFront),
    ]),
  });
});

afterAll(async () => {
  await server?.close();
  for (const p of [front, remote, endlessJwksFront, endlessDiscoveryFront, silentFront, nullJwksFront])
    await p?.close();
  await issuer?.close();
});

const signIn = async (provider: string, p: ProviderServer) =>
  server.client(AuthService).loginWithProvider({
    provider,
    idToken: await issuer.mint(server.clock.now(), { claims: { iss: p.url } }),
  });

describe("a jwks_uri read from discovery", () => {
  test("on plain http at another host than the issuer's is refused: nothing is fetched from it", async () => {
    await expectCode(signIn("plain-jwks", front), Code.Unavailable, /try again later/);
    expect(front.requests["/.well-known/openid-configuration"]).toBe(1);
    expect(remote.requests["/jwks"] ?? 0).toBe(0);
  });

  test("is held to https, and to http only at the host of an issuer on http itself", () => {
    const local = "http://127.0.0.1:8080";
    expect(jwksUriProblem("https://accounts.example", "https://keys.example/jwks")).toBeUndefined();
    expect(jwksUriProblem(local, "http://localhost:8080/jwks")).toBeUndefined();
    expect(jwksUriProblem(local, "https://keys.example/jwks")).toBeUndefined();
    // A development Keycloak on a private network (the allowance lets an operator configure it).
    expect(jwksUriProblem("http://keycloak:8080/realms/dev", "http://keycloak:8080/certs")).toBeUndefined();
    // A remote provider cannot send authd to plain http, nor to this machine.
    expect(jwksUriProblem("https://accounts.example", "http://keys.example/jwks")).toMatch(/https/);
    expect(jwksUriProblem("https://accounts.example", "http://127.0.0.1:8080/jwks")).toMatch(/https/);
    expect(jwksUriProblem(local, "http://keys.example/jwks")).toMatch(/https/);
    expect(jwksUriProblem(local, "file:///etc/passwd")).toMatch(/https/);
    expect(jwksUriProblem(local, "not a url")).toMatch(/URL/);
  });
});

describe("a provider document that never ends", () => {
  // authd gives up on a provider after 5 seconds; a cap that works ends the read long before.
  const PROMPTLY_MS = 3_000;
  // What the socket took before authd hung up: the cap (256 KiB) plus what the kernel buffers.
  const READ_AT_MOST = 16 * 1024 * 1024;

  test.each([
    ["JWKS", "endless-jwks", () => endlessJwksFront, endlessJwks],
    ["discovery document", "endless-discovery", () => endlessDiscoveryFront, endlessDiscovery],
  ] as const)(
    "(the %s) is cut off at its cap: unavailable, promptly, not read whole",
    async (_, name, p, body) => {
      const started = performance.now();
      await expectCode(signIn(name, p()), Code.Unavailable, /try again later/);
      expect(performance.now() - started).toBeLessThan(PROMPTLY_MS);
      await body.hungUp;
      expect(body.written).toBeGreaterThan(256 * 1024);
      expect(body.written).toBeLessThan(READ_AT_MOST);
    },
  );
});

describe("a provider that starts its JWKS and never finishes it", () => {
  test("is given up on at the fetch deadline (5 s): unavailable, and the connection closed", async () => {
    const started = performance.now();
    await expectCode(signIn("silent", silentFront), Code.Unavailable, /try again later/);
    // The deadline is real time (a network wait), not the test clock.
    expect(performance.now() - started).toBeLessThan(10_000);
    await expect.poll(() => silent.hungUp).toBe(true);
  });
});

describe("a provider document that is JSON but not an object", () => {
  test("(a JWKS of `null`) makes the provider unavailable, not an internal error", async () => {
    await expectCode(signIn("null-jwks", nullJwksFront), Code.Unavailable, /try again later/);
  });
});
