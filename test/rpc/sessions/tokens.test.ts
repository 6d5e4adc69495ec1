// Access tokens and signing keys, checked from outside: a backend verifying with the served JWKS and
// a JWT library, `authd keys rotate`, a second replica, and the tokens RFC 8725 says to refuse.
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  base64url,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
} from "jose";
import type { EntityManager } from "typeorm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthService } from "../../../gen/authd/v1/auth_pb.js";
import { SessionService, TokenKind } from "../../../gen/authd/v1/session_pb.js";
import { assembleApp, createApp } from "../../../src/app.js";
import { loadConfig } from "../../../src/config.js";
import { protocols, startTestServer, type TestServer } from "../../helpers/server.js";
import { bearer, createUser, signIn } from "../../helpers/sessions.js";
import { inTransaction } from "../../helpers/transaction.js";

const run = promisify(execFile);
let server: TestServer;
let userId: string;
let tenantId: string;

beforeAll(async () => {
  server = await startTestServer();
  // `authd keys rotate` runs as a separate process on the real clock; keep the server's clock near it.
  server.clock.set(Date.now());
  const tenant = await server.app.tenants.create({ slug: "tokens-co", name: "Tokens" }, null, {
    ip: "127.0.0.1",
    rateLimitKey: "127.0.0.1",
    userAgent: "vitest",
  });
  tenantId = tenant.id;
  userId = (await createUser(server, { tenantId, roles: ["admin"] })).id;
});
afterAll(() => server.close());

const jwksUrl = () => new URL(`${server.url}/.well-known/jwks.json`);

async function verifyAsBackend(token: string) {
  return jwtVerify(token, createRemoteJWKSet(jwksUrl()), {
    issuer: server.app.config.issuer,
    audience: server.app.config.audience,
    algorithms: ["EdDSA"],
    typ: "at+jwt",
    currentDate: new Date(server.clock.now()),
  });
}

async function isActive(token: string): Promise<boolean> {
  const res = await server.client(SessionService).validateToken({ token });
  return res.active;
}

/** A token signed by authd's own active key, with claims and header chosen by the test. */
async function signWithServerKey(claims: Record<string, unknown>, header: Record<string, unknown> = {}) {
  const { kid, privateKey } = await server.internals.signingKeys.signingKey();
  const now = Math.floor(server.clock.now() / 1000);
  const payload = {
    iss: server.app.config.issuer,
    aud: server.app.config.audience,
    sub: userId,
    iat: now,
    exp: now + 600,
    jti: "test",
    amr: ["pwd"],
    ...claims,
  };
  return new SignJWT(payload)
    .setProtectedHeader({ alg: "EdDSA", kid, typ: "at+jwt", ...header })
    .sign(privateKey);
}

describe("access tokens", () => {
  it("verify against the served JWKS with a JWT library, as an outside backend would", async () => {
    const tokens = await signIn(server, userId);
    const { payload, protectedHeader } = await verifyAsBackend(tokens.accessToken);
    expect(protectedHeader).toMatchObject({ alg: "EdDSA", typ: "at+jwt" });
    const jwks = (await (await fetch(jwksUrl())).json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys.map((k) => k.kid)).toContain(protectedHeader.kid);
    expect(jwks.keys.every((k) => k.d === undefined)).toBe(true);
    expect(payload).toMatchObject({
      sub: userId,
      sid: tokens.sessionId,
      amr: ["pwd"],
      tenant: tenantId,
      roles: ["admin"],
    });
    expect(typeof payload.jti).toBe("string");
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(900);
    expect(tokens.accessTokenExpiresAt).toBe((payload.exp ?? 0) * 1000);
  });

  it("issued by Login verify with the JWKS, and work as Bearer tokens", async () => {
    const email = (await createUser(server, { password: "a long login password" })).email;
    const res = await server
      .client(AuthService, "grpc")
      .login({ identifier: email, password: "a long login password" });
    if (res.result.case !== "tokens") throw new Error("expected tokens");
    const { payload } = await verifyAsBackend(res.result.value.accessToken);
    expect(payload.sid).toBe(res.result.value.sessionId);
    expect(payload.amr).toEqual(["pwd"]);
    const session = await server
      .client(SessionService, "grpc", bearer(res.result.value.accessToken))
      .getSession({});
    expect(session.session?.id).toBe(res.result.value.sessionId);
  });

  it.each(protocols)("are described by ValidateToken over %s", async (protocol) => {
    const tokens = await signIn(server, userId);
    const res = await server.client(SessionService, protocol).validateToken({ token: tokens.accessToken });
    expect(res).toMatchObject({
      active: true,
      kind: TokenKind.ACCESS_TOKEN,
      subject: userId,
      sessionId: tokens.sessionId,
      tenantId,
      roles: ["admin"],
      amr: ["pwd"],
      scopes: [],
    });
  });

  it("ValidateToken names the field when the token is missing", async () => {
    const error = await server
      .client(SessionService)
      .validateToken({ token: "" })
      .catch((e) => ConnectError.from(e));
    expect(error).toMatchObject({ code: Code.InvalidArgument });
    expect((error as ConnectError).rawMessage).toContain("token");
  });
});

describe("refused tokens", () => {
  async function expectRefused(token: string) {
    expect(await isActive(token)).toBe(false);
    const error = await server
      .client(SessionService, "connect", bearer(token))
      .getSession({})
      .catch((e) => ConnectError.from(e));
    expect(error).toMatchObject({ code: Code.Unauthenticated });
  }

  it("a tampered payload", async () => {
    const { accessToken } = await signIn(server, userId);
    const [header, payload, signature] = accessToken.split(".");
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload as string)));
    claims.roles = ["superuser"];
    const forged = `${header}.${base64url.encode(JSON.stringify(claims))}.${signature}`;
    await expectRefused(forged);
  });

  it("an expired token, while its session is still active", async () => {
    const { accessToken, refreshToken } = await signIn(server, userId);
    server.clock.advanceSeconds(901);
    await expectRefused(accessToken);
    // The session itself lives on: its refresh token still answers a fresh pair.
    const res = await server.client(AuthService).refresh({ refreshToken });
    expect(await isActive(res.tokens?.accessToken ?? "")).toBe(true);
  });

  it("a token for another audience", async () => {
    const { sessionId } = await signIn(server, userId);
    await expectRefused(await signWithServerKey({ sid: sessionId, aud: "another-service" }));
  });

  it("a token from another issuer", async () => {
    const { sessionId } = await signIn(server, userId);
    await expectRefused(await signWithServerKey({ sid: sessionId, iss: "https://evil.example" }));
  });

  it("a JWT of another type (typ JWT instead of at+jwt)", async () => {
    const { sessionId } = await signIn(server, userId);
    // The same claims with the right typ pass, so only the typ makes the difference.
    expect(await isActive(await signWithServerKey({ sid: sessionId }))).toBe(true);
    await expectRefused(await signWithServerKey({ sid: sessionId }, { typ: "JWT" }));
  });

  it("alg: none", async () => {
    const { accessToken } = await signIn(server, userId);
    const header = decodeProtectedHeader(accessToken);
    const unsigned = `${base64url.encode(JSON.stringify({ ...header, alg: "none" }))}.${accessToken.split(".")[1]}.`;
    await expectRefused(unsigned);
  });

  it("a token signed by another key with the same kid, even carrying that key in jwk/jku headers", async () => {
    const { accessToken, sessionId } = await signIn(server, userId);
    const { kid } = decodeProtectedHeader(accessToken);
    const attacker = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
    const claims = decodeJwt(accessToken);
    const sign = (header: Record<string, unknown>) =>
      new SignJWT({ ...claims, sid: sessionId })
        .setProtectedHeader({ alg: "EdDSA", kid, typ: "at+jwt", ...header })
        .sign(attacker.privateKey);
    await expectRefused(await sign({}));
    await expectRefused(await sign({ jwk: await exportJWK(attacker.publicKey) }));
    await expectRefused(await sign({ jku: "https://evil.example/jwks.json" }));
    await expectRefused(await sign({ kid: "no-such-key" }));
  });

  it("tokens with made-up kids are refused without a database query each", async () => {
    const { sessionId } = await signIn(server, userId);
    const store = server.db;
    const { read, transaction } = store;
    let queries = 0;
    store.read = <T>(work: (em: EntityManager) => Promise<T>) => {
      queries++;
      return read.call(store, work) as Promise<T>;
    };
    store.transaction = <T>(work: (em: EntityManager) => Promise<T>) => {
      queries++;
      return transaction.call(store, work) as Promise<T>;
    };
    try {
      for (let i = 0; i < 40; i++) {
        const forged = await signWithServerKey({ sid: sessionId }, { kid: `made-up-${i}` });
        expect(await isActive(forged)).toBe(false);
      }
    } finally {
      store.read = read;
      store.transaction = transaction;
    }
    // At most one reload of the keys per second, whatever the number of unknown kids.
    expect(queries).toBeLessThanOrEqual(5);
  });

  it("a token whose session was revoked, although its signature is still valid", async () => {
    const { accessToken, sessionId } = await signIn(server, userId);
    await server.client(SessionService, "connect", bearer(accessToken)).revokeSession({ sessionId });
    await expect(verifyAsBackend(accessToken)).resolves.toBeDefined();
    await expectRefused(accessToken);
  });
});

describe("signing keys", () => {
  it("the development secret is generated once, private to its owner, and the keys are stored encrypted", async () => {
    const file = path.join(server.dataDir, "secret");
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const rows = await server.db.transaction((em) =>
      em.query("SELECT public_jwk, private_jwk_encrypted FROM signing_keys"),
    );
    for (const row of rows as Array<{ public_jwk: string; private_jwk_encrypted: string }>) {
      expect(JSON.parse(row.public_jwk).d).toBeUndefined();
      expect(row.private_jwk_encrypted).toMatch(/^v1\./);
      expect(row.private_jwk_encrypted).not.toContain('"d"');
    }
  });

  it("after `authd keys rotate`, old tokens still verify and new ones carry the new kid", async () => {
    // The rotation stamps the old key retired at the real time; earlier tests moved the server's clock
    // ahead (by 901 s), which would make the old key look retired for that long already.
    server.clock.set(Date.now());
    const before = await signIn(server, userId);
    const oldKid = decodeProtectedHeader(before.accessToken).kid;
    const { stdout } = await run("npx", ["tsx", "src/main.ts", "keys", "rotate"], {
      env: { ...process.env, AUTHD_DATA_DIR: server.dataDir, AUTHD_LOG_LEVEL: "silent" },
      timeout: 20_000,
    }).catch((error) => {
      throw new Error(`keys rotate failed: ${error.stderr}`);
    });
    const newKid = stdout.trim();
    expect(newKid).not.toBe(oldKid);

    // Within a minute every replica signs with the new key; the old key stays published meanwhile.
    server.clock.advanceSeconds(61);
    const after = await signIn(server, userId);
    expect(decodeProtectedHeader(after.accessToken).kid).toBe(newKid);
    const kids = ((await (await fetch(jwksUrl())).json()) as { keys: Array<{ kid: string }> }).keys.map(
      (k) => k.kid,
    );
    expect(kids).toEqual(expect.arrayContaining([oldKid, newKid]));
    await expect(verifyAsBackend(before.accessToken)).resolves.toBeDefined();
    await expect(verifyAsBackend(after.accessToken)).resolves.toBeDefined();
    expect(await isActive(before.accessToken)).toBe(true);

    // Once every token the old key signed has expired, it leaves the JWKS.
    server.clock.advanceSeconds(server.app.config.accessTokenTtlSeconds + 60);
    const later = ((await (await fetch(jwksUrl())).json()) as { keys: Array<{ kid: string }> }).keys.map(
      (k) => k.kid,
    );
    expect(later).not.toContain(oldKid);
    expect(later).toContain(newKid);
  });

  it("a key rotated by another replica verifies here at once", async () => {
    // Configured as the server is (AUTHD_PORT=0 too, so the same issuer).
    const config = loadConfig({ AUTHD_DATA_DIR: server.dataDir, AUTHD_PORT: "0", AUTHD_LOG_LEVEL: "silent" });
    const { app: replica, inspect } = await assembleApp(config, { clock: server.clock });
    try {
      const kid = await inspect.signingKeys.rotate();
      const tokens = await inTransaction(server.db, (tx) =>
        inspect.sessions.create(tx, {
          userId,
          amr: ["pwd"],
          client: { ip: "127.0.0.1", rateLimitKey: "127.0.0.1", userAgent: "replica" },
          durationSeconds: undefined,
        }),
      );
      expect(decodeProtectedHeader(tokens.accessToken).kid).toBe(kid);
      expect(await isActive(tokens.accessToken)).toBe(true);
    } finally {
      await replica.close();
    }
  });

  it("refuses to start with a secret that does not decrypt the stored keys", async () => {
    const config = loadConfig({
      AUTHD_DATA_DIR: server.dataDir,
      AUTHD_LOG_LEVEL: "silent",
      AUTHD_SECRET: "another-secret-of-at-least-32-characters",
    });
    await expect(createApp(config, { clock: server.clock })).rejects.toThrow(/AUTHD_SECRET/);
  });
});
