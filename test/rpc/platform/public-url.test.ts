// Where the account app and emailed links point when AUTHD_PUBLIC_URL is not set: at the port authd
// really listens on (AUTHD_PORT, or the free port AUTHD_PORT=0 picked), and, in development, the app
// keeps its session whether it was opened at localhost or at 127.0.0.1 — the two addresses a
// newcomer tries first. Anywhere else (another port, another host, production, or a public URL set
// explicitly) cookie-authenticated calls are still refused.
import net, { type AddressInfo } from "node:net";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, describe, expect, it } from "vitest";
import { AuthService } from "../../../gen/authd/v1/auth_pb.js";
import { AuthMethod } from "../../../gen/authd/v1/common_pb.js";
import { type AccountsHarness, PASSWORD, startAccountsHarness } from "../../helpers/accounts.js";
import type { TestServer } from "../../helpers/server.js";

const harnesses: AccountsHarness[] = [];
afterAll(async () => {
  for (const h of harnesses) await h.close();
});

async function start(env: Record<string, string> = {}): Promise<AccountsHarness> {
  const h = await startAccountsHarness(env);
  harnesses.push(h);
  return h;
}

/** A port free right now, for a server started with that AUTHD_PORT. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const portOf = (server: TestServer) => Number(new URL(server.url).port);

/**
 * A browser tab opened at `origin`: it keeps the cookies authd sets and sends them, with its Origin,
 * on every call (Connect JSON, as the account app's same-origin calls are).
 */
function tabAt(server: TestServer, origin: string): Client<typeof AuthService> {
  const cookies = new Map<string, string>();
  const transport = createConnectTransport({
    baseUrl: server.url,
    httpVersion: "1.1",
    interceptors: [
      (next) => async (req) => {
        req.header.set("origin", origin);
        if (cookies.size > 0) req.header.set("cookie", [...cookies].map(([k, v]) => `${k}=${v}`).join("; "));
        const res = await next(req);
        for (const line of res.header.getSetCookie()) {
          const [pair = ""] = line.split(";");
          const eq = pair.indexOf("=");
          cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
        }
        return res;
      },
    ],
  });
  return createClient(AuthService, transport);
}

/** Signs in from a tab at `origin`, then asks who is signed in: "OK" or the Connect code's name. */
async function signInAt(h: AccountsHarness, email: string, origin: string): Promise<string> {
  const tab = tabAt(h.server, origin);
  const login = await tab.login({ identifier: email, password: PASSWORD, authMethod: AuthMethod.COOKIE });
  expect(login.result.case).toBe("tokens");
  return tab.getCurrentUser({}).then(
    (res) => (res.user?.email === email ? "OK" : "someone else"),
    (error) => Code[ConnectError.from(error).code],
  );
}

async function openIdConfiguration(server: TestServer): Promise<{ issuer: string; jwks_uri: string }> {
  return (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as {
    issuer: string;
    jwks_uri: string;
  };
}

async function appPage(server: TestServer): Promise<string> {
  return (await fetch(`${server.url}/sign-in`)).text();
}

describe("AUTHD_PUBLIC_URL unset", () => {
  it("follows the port really listened on (AUTHD_PORT=0): emailed links, the JWKS address and the app", async () => {
    const h = await start();
    const base = `http://localhost:${portOf(h.server)}`;
    await h.auth.register({ email: "links@example.com", password: PASSWORD });
    const mail = await h.mailTo("links@example.com", /verify/i);
    expect(mail.text).toContain(`${base}/verify-email?token=`);
    expect((await openIdConfiguration(h.server)).jwks_uri).toBe(`${base}/.well-known/jwks.json`);
    expect(await appPage(h.server)).toContain(`<meta name="authd-public-origin" content="${base}">`);
  });

  it("follows AUTHD_PORT when only that is set: links, the issuer and the app name that port", async () => {
    const port = await freePort();
    const h = await start({ AUTHD_PORT: String(port) });
    const base = `http://localhost:${port}`;
    await h.auth.register({ email: "port@example.com", password: PASSWORD });
    const mail = await h.mailTo("port@example.com", /verify/i);
    expect(mail.text).toContain(`${base}/verify-email?token=`);
    expect(await openIdConfiguration(h.server)).toMatchObject({
      issuer: base,
      jwks_uri: `${base}/.well-known/jwks.json`,
    });
    expect(await appPage(h.server)).toContain(`<meta name="authd-public-origin" content="${base}">`);
  });

  it("in development keeps a session signed in from the app at localhost or 127.0.0.1 on authd's port", async () => {
    const h = await start({ AUTHD_REQUIRE_EMAIL_VERIFICATION: "false" });
    await h.auth.register({ email: "loopback@example.com", password: PASSWORD });
    const port = portOf(h.server);
    expect(await signInAt(h, "loopback@example.com", `http://127.0.0.1:${port}`)).toBe("OK");
    expect(await signInAt(h, "loopback@example.com", `http://localhost:${port}`)).toBe("OK");
    // The page knows both, so it warns at neither.
    expect(await appPage(h.server)).toContain(
      `<meta name="authd-local-origins" content="http://localhost:${port} http://127.0.0.1:${port}">`,
    );
    // Not another port of the same machine, not IPv6 loopback (authd does not listen there, so
    // something else may), not the old fixed default, not another site.
    for (const origin of [
      `http://127.0.0.1:${port + 1}`,
      `http://[::1]:${port}`,
      "http://localhost:8080",
      `https://localhost:${port}`,
      "https://evil.example",
    ]) {
      expect(await signInAt(h, "loopback@example.com", origin), origin).toBe("PermissionDenied");
    }
  });

  it("in production accepts only the public URL's origin, not the other loopback address", async () => {
    const h = await start({
      AUTHD_ENV: "production",
      AUTHD_SECRET: "a production master secret of 32+ characters",
      AUTHD_REQUIRE_EMAIL_VERIFICATION: "false",
    });
    await h.auth.register({ email: "prod@example.com", password: PASSWORD });
    const port = portOf(h.server);
    expect(await signInAt(h, "prod@example.com", `http://localhost:${port}`)).toBe("OK");
    expect(await signInAt(h, "prod@example.com", `http://127.0.0.1:${port}`)).toBe("PermissionDenied");
    expect(await appPage(h.server)).toContain('<meta name="authd-local-origins" content="">');
  });
});

describe("AUTHD_PUBLIC_URL set", () => {
  it("accepts the session only from its origin, even at another loopback address of the same port", async () => {
    const port = await freePort();
    const h = await start({
      AUTHD_PORT: String(port),
      AUTHD_PUBLIC_URL: `http://localhost:${port}`,
      AUTHD_REQUIRE_EMAIL_VERIFICATION: "false",
    });
    await h.auth.register({ email: "explicit@example.com", password: PASSWORD });
    expect(await signInAt(h, "explicit@example.com", `http://localhost:${port}`)).toBe("OK");
    expect(await signInAt(h, "explicit@example.com", `http://127.0.0.1:${port}`)).toBe("PermissionDenied");
    expect(await appPage(h.server)).toContain('<meta name="authd-local-origins" content="">');
  });
});
