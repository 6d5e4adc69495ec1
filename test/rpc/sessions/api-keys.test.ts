// API keys through a real server: creation with re-authentication, use through Authorization and
// x-api-key, scopes, expiry, revocation, and ValidateToken.
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SessionService, TokenKind } from "../../../gen/authd/v1/session_pb.js";
import { ApiKeyEntity } from "../../../src/store/entities/api-key.js";
import { protocols, startTestServer, type TestServer } from "../../helpers/server.js";
import { bearer, createUser, PASSWORD, signIn } from "../../helpers/sessions.js";

let server: TestServer;
let userId: string;
let sessionToken: string;

beforeAll(async () => {
  server = await startTestServer();
  userId = (await createUser(server, { roles: ["support"] })).id;
  sessionToken = (await signIn(server, userId)).accessToken;
});
afterAll(() => server.close());

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "OK",
    (e) => Code[ConnectError.from(e).code],
  );

const sessions = () => server.client(SessionService, "connect", bearer(sessionToken));

async function createKey(scopes: string[], expiresInSeconds?: number) {
  return sessions().createApiKey({
    name: "deploy script",
    scopes,
    currentPassword: PASSWORD,
    expireTime:
      expiresInSeconds === undefined
        ? undefined
        : timestampFromMs(server.clock.now() + expiresInSeconds * 1000),
  });
}

describe("creating API keys", () => {
  it("shows the key once and keeps only its hash", async () => {
    const res = await createKey(["sessions:read"]);
    expect(res.secret).toMatch(/^authd_[0-9a-f]{24}_[A-Za-z0-9_-]{43}$/);
    expect(res.apiKey).toMatchObject({ name: "deploy script", scopes: ["sessions:read"] });
    expect(res.secret.startsWith(res.apiKey?.prefix ?? "-")).toBe(true);
    const row = await server.db.transaction((em) => em.findOneBy(ApiKeyEntity, { id: res.apiKey?.id ?? "" }));
    // The random part follows "authd_<24 hex>_"; it may itself contain "_", so cut by position.
    const randomPart = res.secret.slice("authd_".length + 24 + 1);
    expect(randomPart).toHaveLength(43);
    expect(JSON.stringify(row)).not.toContain(randomPart);
    const listed = await sessions().listApiKeys({});
    expect(listed.apiKeys.map((k) => k.id)).toContain(res.apiKey?.id);
    expect(JSON.stringify(listed.apiKeys.map((k) => k.prefix))).not.toContain(res.secret);
    const one = await sessions().getApiKey({ apiKeyId: res.apiKey?.id ?? "" });
    expect(one.apiKey?.name).toBe("deploy script");
  });

  it("needs the account password again", async () => {
    const wrong = sessions().createApiKey({
      name: "k",
      scopes: ["sessions:read"],
      currentPassword: "wrong password",
    });
    expect(await codeOf(wrong)).toBe("Unauthenticated");
    const missing = await sessions()
      .createApiKey({ name: "k", scopes: ["sessions:read"], currentPassword: "" })
      .catch((e) => ConnectError.from(e));
    expect(missing).toMatchObject({ code: Code.InvalidArgument });
    expect((missing as ConnectError).rawMessage).toContain("password");
  });

  it("stops checking passwords after too many wrong ones, so a stolen session cannot guess it", async () => {
    const other = (await createUser(server)).id;
    const attempt = async (password: string) => {
      const { accessToken } = await signIn(server, other);
      const client = server.client(SessionService, "grpc", bearer(accessToken));
      return codeOf(client.createApiKey({ name: "k", scopes: ["sessions:read"], currentPassword: password }));
    };
    for (let i = 0; i < server.app.config.loginMaxFailuresPerAccount; i++) {
      expect(await attempt("wrong password")).toBe("Unauthenticated");
    }
    expect(await attempt(PASSWORD)).toBe("ResourceExhausted");
    server.clock.advanceSeconds(server.app.config.rateLimitWindowSeconds);
    expect(await attempt(PASSWORD)).toBe("OK");
    sessionToken = (await signIn(server, userId)).accessToken;
  });

  it.each([
    ["name", { name: "", scopes: ["sessions:read"] }],
    ["scopes", { name: "k", scopes: [] }],
    ["scopes", { name: "k", scopes: ["everything"] }],
    [
      "expire_time",
      { name: "k", scopes: ["sessions:read"], expireTime: timestampFromMs(Date.UTC(2000, 0, 1)) },
    ],
  ])("refuses a bad %s with InvalidArgument naming it", async (field, request) => {
    const error = await sessions()
      .createApiKey({ currentPassword: PASSWORD, ...request })
      .catch((e) => ConnectError.from(e));
    expect(error).toMatchObject({ code: Code.InvalidArgument });
    expect((error as ConnectError).rawMessage).toContain(field);
  });

  it("cannot be done with an API key", async () => {
    const { secret } = await createKey(["sessions:read", "sessions:write"]);
    const withKey = server.client(SessionService, "connect", bearer(secret));
    expect(
      await codeOf(withKey.createApiKey({ name: "k", scopes: ["sessions:read"], currentPassword: PASSWORD })),
    ).toBe("PermissionDenied");
    expect(await codeOf(withKey.listApiKeys({}))).toBe("PermissionDenied");
  });
});

describe("using API keys", () => {
  it.each(protocols)("authenticates through Authorization: Bearer and x-api-key (%s)", async (protocol) => {
    const { secret } = await createKey(["sessions:read"]);
    for (const headers of [bearer(secret), { "x-api-key": secret }]) {
      const res = await server.client(SessionService, protocol, headers).listSessions({});
      expect(res.sessions.length).toBeGreaterThan(0);
      expect(res.sessions.every((s) => !s.current)).toBe(true);
    }
  });

  it("is limited to its scopes", async () => {
    const { secret } = await createKey(["sessions:read"]);
    const { accessToken, sessionId } = await signIn(server, userId);
    const client = server.client(SessionService, "grpc", { "x-api-key": secret });
    expect(await codeOf(client.listSessions({}))).toBe("OK");
    expect(await codeOf(client.revokeSession({ sessionId }))).toBe("PermissionDenied");
    expect(await codeOf(client.revokeAllSessions({}))).toBe("PermissionDenied");
    // GetSession needs a session, which an API key does not have.
    expect(await codeOf(client.getSession({}))).toBe("PermissionDenied");
    expect((await server.client(SessionService).validateToken({ token: accessToken })).active).toBe(true);

    const { secret: writer } = await createKey(["sessions:write"]);
    const writerClient = server.client(SessionService, "grpc", bearer(writer));
    expect(await codeOf(writerClient.revokeSession({ sessionId }))).toBe("OK");
    expect((await server.client(SessionService).validateToken({ token: accessToken })).active).toBe(false);
  });

  it("is described by ValidateToken", async () => {
    const { secret, apiKey } = await createKey(["sessions:read", "profile:read"], 3600);
    const res = await server.client(SessionService, "grpc-web").validateToken({ token: secret });
    expect(res).toMatchObject({
      active: true,
      kind: TokenKind.API_KEY,
      subject: userId,
      sessionId: "",
      roles: ["support"],
      scopes: ["sessions:read", "profile:read"],
    });
    expect(res.expireTime).toEqual(apiKey?.expireTime);
  });

  it("stops working when it expires", async () => {
    const { secret } = await createKey(["sessions:read"], 3600);
    const client = server.client(SessionService, "connect", { "x-api-key": secret });
    expect(await codeOf(client.listSessions({}))).toBe("OK");
    server.clock.advanceSeconds(3600);
    expect(await codeOf(client.listSessions({}))).toBe("Unauthenticated");
    expect((await server.client(SessionService).validateToken({ token: secret })).active).toBe(false);
    sessionToken = (await signIn(server, userId)).accessToken;
  });

  it("stops working at once when revoked, and records when it was last used", async () => {
    const { secret, apiKey } = await createKey(["sessions:read"]);
    const lastUsed = async () => {
      const time = (await sessions().getApiKey({ apiKeyId: apiKey?.id ?? "" })).apiKey?.lastUsedTime;
      return time === undefined ? undefined : timestampMs(time);
    };
    expect(await lastUsed()).toBeUndefined();
    const client = server.client(SessionService, "connect", bearer(secret));
    expect(await codeOf(client.listSessions({}))).toBe("OK");
    expect(await lastUsed()).toBe(server.clock.now());
    // A later use moves it (written at most once a minute per key).
    server.clock.advanceSeconds(120);
    expect(await codeOf(client.listSessions({}))).toBe("OK");
    expect(await lastUsed()).toBe(server.clock.now());
    await sessions().revokeApiKey({ apiKeyId: apiKey?.id ?? "" });
    expect(await codeOf(client.listSessions({}))).toBe("Unauthenticated");
    expect((await server.client(SessionService).validateToken({ token: secret })).active).toBe(false);
    const revoked = await sessions().getApiKey({ apiKeyId: apiKey?.id ?? "" });
    expect(revoked.apiKey?.revokeTime).toBeDefined();
  });

  it("refuses a wrong secret for an existing key id, and another user's key ids", async () => {
    const { secret, apiKey } = await createKey(["sessions:read"]);
    const forged = `${secret.slice(0, -4)}AAAA`;
    expect(await codeOf(server.client(SessionService, "connect", bearer(forged)).listSessions({}))).toBe(
      "Unauthenticated",
    );
    expect(
      await codeOf(server.client(SessionService, "connect", { "x-api-key": "nonsense" }).listSessions({})),
    ).toBe("Unauthenticated");
    const stranger = (await signIn(server, (await createUser(server)).id)).accessToken;
    const strangerClient = server.client(SessionService, "connect", bearer(stranger));
    expect(await codeOf(strangerClient.getApiKey({ apiKeyId: apiKey?.id ?? "" }))).toBe("NotFound");
    expect(await codeOf(strangerClient.revokeApiKey({ apiKeyId: apiKey?.id ?? "" }))).toBe("NotFound");
    expect(await codeOf(server.client(SessionService, "connect", bearer(secret)).listSessions({}))).toBe(
      "OK",
    );
  });
});
