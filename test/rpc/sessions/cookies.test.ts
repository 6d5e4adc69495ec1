// Cookie mode over Connect, from a client that keeps cookies like a browser: Login sets the cookies,
// every RPC that needs a caller takes them as one, Refresh rotates them, Logout clears them;
// cross-site requests are refused.
import { Code, ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../../gen/authd/v1/admin_pb.js";
import { AuthService } from "../../../gen/authd/v1/auth_pb.js";
import { AuthMethod } from "../../../gen/authd/v1/common_pb.js";
import { MfaService } from "../../../gen/authd/v1/mfa_pb.js";
import { SessionService } from "../../../gen/authd/v1/session_pb.js";
import { Health } from "../../../gen/grpc/health/v1/health_pb.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import { createUser, PASSWORD } from "../../helpers/sessions.js";
import { inTransaction } from "../../helpers/transaction.js";

/** A minimal browser cookie jar: sends what it holds, stores Set-Cookie, forgets Max-Age=0. */
class CookieJar {
  readonly cookies = new Map<string, string>();
  /** The Set-Cookie lines of the last response that had any. */
  lastSetCookie: string[] = [];

  interceptor(extraHeaders: () => Record<string, string> = () => ({})): Interceptor {
    return (next) => async (req) => {
      if (this.cookies.size > 0) {
        req.header.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
      }
      for (const [k, v] of Object.entries(extraHeaders())) req.header.set(k, v);
      try {
        const res = await next(req);
        this.store(res.header);
        return res;
      } catch (error) {
        if (error instanceof ConnectError) this.store(error.metadata);
        throw error;
      }
    };
  }

  private store(headers: Headers): void {
    const lines = headers.getSetCookie();
    if (lines.length === 0) return;
    this.lastSetCookie = lines;
    for (const line of lines) {
      const [pair = "", ...attributes] = line.split(";").map((p) => p.trim());
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const expired = attributes.some((a) => a.toLowerCase() === "max-age=0");
      if (expired || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

function browser(server: TestServer, origin?: string) {
  const jar = new CookieJar();
  let currentOrigin = origin;
  const transport = createConnectTransport({
    baseUrl: server.url,
    httpVersion: "1.1",
    interceptors: [
      jar.interceptor((): Record<string, string> => (currentOrigin ? { origin: currentOrigin } : {})),
    ],
  });
  return {
    jar,
    transport,
    auth: createClient(AuthService, transport),
    sessions: createClient(SessionService, transport),
    health: createClient(Health, transport),
    setOrigin(o: string | undefined) {
      currentOrigin = o;
    },
  };
}

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "OK",
    (e) => Code[ConnectError.from(e).code],
  );

async function loginWithCookies(email: string, b: ReturnType<typeof browser>) {
  const res = await b.auth.login({ identifier: email, password: PASSWORD, authMethod: AuthMethod.COOKIE });
  if (res.result.case !== "tokens") throw new Error("expected tokens");
  return res.result.value;
}

describe("cookie mode in development on plain http", () => {
  let server: TestServer;
  let email: string;
  let userId: string;
  beforeAll(async () => {
    server = await startTestServer({ AUTHD_CORS_ORIGINS: "https://app.example.com,*" });
    ({ email, id: userId } = await createUser(server));
  });
  afterAll(() => server.close());

  it("Login sets HttpOnly SameSite=Strict cookies, without __Host- or Secure, and keeps tokens out of the body", async () => {
    const b = browser(server);
    const pair = await loginWithCookies(email, b);
    expect(pair.accessToken).toBe("");
    expect(pair.refreshToken).toBe("");
    expect(pair.sessionId).not.toBe("");
    expect([...b.jar.cookies.keys()].sort()).toEqual(["authd_access", "authd_refresh"]);
    for (const line of b.jar.lastSetCookie) {
      expect(line).toContain("HttpOnly");
      expect(line).toContain("SameSite=Strict");
      expect(line).toContain("Path=/");
      expect(line).not.toContain("Secure");
    }
  });

  it("every RPC that needs a caller takes the cookie's session as its caller", async () => {
    const needCaller: string[] = [];
    for (const service of [AuthService, SessionService, MfaService, AdminService]) {
      for (const method of service.methods.filter((m) => m.methodKind === "unary")) {
        const call = (transport: Transport) =>
          (createClient(service, transport) as unknown as Record<string, (req: object) => Promise<unknown>>)[
            method.localName
          ]?.({}) ?? Promise.reject(new Error(`no client method ${method.localName}`));
        const anonymous = createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" });
        // Public RPCs (Login, Register, ...) answer an empty request without a caller.
        if ((await codeOf(call(anonymous))) !== "Unauthenticated") continue;
        needCaller.push(method.name);
        // A session of its own for each RPC: Logout or RevokeAllSessions must not end the next one's.
        const b = browser(server);
        await loginWithCookies(email, b);
        expect(await codeOf(call(b.transport)), `${service.name}.${method.name}`).not.toBe("Unauthenticated");
      }
    }
    // Account, session, factor and admin RPCs alike.
    expect(needCaller).toEqual(
      expect.arrayContaining([
        "GetCurrentUser",
        "ChangePassword",
        "ListSessions",
        "CreateAuthenticator",
        "ListUsers",
      ]),
    );
  });

  it("GetSession takes the cookie; Refresh rotates it; Logout clears it", async () => {
    const b = browser(server);
    const pair = await loginWithCookies(email, b);
    const session = await b.sessions.getSession({});
    expect(session.session?.id).toBe(pair.sessionId);

    const oldRefresh = b.jar.cookies.get("authd_refresh");
    const refreshed = await b.auth.refresh({});
    expect(refreshed.tokens?.accessToken).toBe("");
    expect(refreshed.tokens?.refreshToken).toBe("");
    expect(refreshed.tokens?.sessionId).toBe(pair.sessionId);
    expect(b.jar.cookies.get("authd_refresh")).not.toBe(oldRefresh);
    expect((await b.sessions.getSession({})).session?.id).toBe(pair.sessionId);

    const stale = b.jar.cookies.get("authd_access") ?? "";
    const out = await b.auth.logout({});
    expect(out.revokedSessions).toBe(1);
    expect(b.jar.cookies.size).toBe(0);
    expect(await codeOf(b.sessions.getSession({}))).toBe("Unauthenticated");

    // A stale cookie is ignored rather than refused, so public RPCs (Login, Refresh) still work.
    b.jar.cookies.set("authd_access", stale);
    expect(await codeOf(b.sessions.getSession({}))).toBe("Unauthenticated");
    expect(await codeOf(b.health.check({}))).toBe("OK");
    expect((await server.client(SessionService).validateToken({ token: stale })).active).toBe(false);
  });

  it("a failed cookie Refresh (session revoked elsewhere) clears the cookies", async () => {
    const b = browser(server);
    const pair = await loginWithCookies(email, b);
    const other = await inTransaction(server.db, (tx) =>
      server.internals.sessions.create(tx, {
        userId,
        amr: ["pwd"],
        client: { ip: "127.0.0.1", rateLimitKey: "127.0.0.1", userAgent: "other" },
        durationSeconds: undefined,
      }),
    );
    await server
      .client(SessionService, "connect", { authorization: `Bearer ${other.accessToken}` })
      .revokeSession({ sessionId: pair.sessionId });
    expect(await codeOf(b.auth.refresh({}))).toBe("Unauthenticated");
    expect(b.jar.cookies.size).toBe(0);
  });

  it("a cookie-authenticated request from another origin is refused", async () => {
    const b = browser(server);
    await loginWithCookies(email, b);
    b.setOrigin("https://evil.example");
    expect(await codeOf(b.sessions.getSession({}))).toBe("PermissionDenied");
    expect(await codeOf(b.auth.refresh({}))).toBe("PermissionDenied");
    expect(await codeOf(b.auth.logout({}))).toBe("PermissionDenied");
    // The public URL's origin and the listed CORS origins pass; `*` does not count for cookies.
    for (const origin of [`http://localhost:${new URL(server.url).port}`, "https://app.example.com"]) {
      b.setOrigin(origin);
      expect(await codeOf(b.sessions.getSession({}))).toBe("OK");
    }
    b.setOrigin(undefined);
    expect(await codeOf(b.sessions.getSession({}))).toBe("OK");
  });

  it("a bad bearer token is refused even next to a good cookie", async () => {
    const b = browser(server);
    await loginWithCookies(email, b);
    const transport = createConnectTransport({
      baseUrl: server.url,
      httpVersion: "1.1",
      interceptors: [b.jar.interceptor(() => ({ authorization: "Bearer not-a-token" }))],
    });
    expect(await codeOf(createClient(SessionService, transport).getSession({}))).toBe("Unauthenticated");
  });
});

describe("cookie mode on https", () => {
  let server: TestServer;
  let email: string;
  beforeAll(async () => {
    server = await startTestServer({ AUTHD_PUBLIC_URL: "https://auth.example.com" });
    email = (await createUser(server)).email;
  });
  afterAll(() => server.close());

  it("uses __Host- prefixed Secure cookies", async () => {
    const b = browser(server, "https://auth.example.com");
    await loginWithCookies(email, b);
    expect([...b.jar.cookies.keys()].sort()).toEqual(["__Host-authd_access", "__Host-authd_refresh"]);
    for (const line of b.jar.lastSetCookie) {
      expect(line).toMatch(/; Secure/);
      expect(line).toContain("HttpOnly");
      expect(line).toContain("SameSite=Strict");
      expect(line).toContain("Path=/");
      expect(line).not.toMatch(/Domain=/i);
    }
    expect(await codeOf(b.sessions.getSession({}))).toBe("OK");
    await b.auth.refresh({});
    expect(await codeOf(b.sessions.getSession({}))).toBe("OK");
  });
});
