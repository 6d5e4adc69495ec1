// Every request authd makes to the outside follows the outbound rule (security.md, Outbound
// requests), through a real server: the provider documents (discovery and JWKS), the captcha check
// and the SMS webhook. Without the development allowance, a URL at an address on this machine gets
// no connection at all (a TCP listener counts them), the caller fails as it does when the service
// is down, and the log says why without the URL's path or any secret. With the allowance, a
// provider's discovery document still cannot send authd to a cloud metadata address.
import fs from "node:fs";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { Code, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AuthService } from "../../../gen/authd/v1/auth_pb.js";
import { type AppInternals, assembleApp } from "../../../src/app.js";
import { ManualClock } from "../../../src/clock.js";
import { loadConfig } from "../../../src/config.js";
import { createLogger } from "../../../src/logger.js";
import { startServer } from "../../../src/server.js";
import { OutboxMessageEntity } from "../../../src/store/entities/outbox-message.js";
import { findOneStrict } from "../../../src/store/guard.js";
import { expectCode, PASSWORD } from "../../helpers/accounts.js";
import { type OidcIssuer, startOidcIssuer } from "../../helpers/oidc-issuer.js";
import { inTransaction } from "../../helpers/transaction.js";

/** A TCP listener that only counts connections: proof that a refused request never connected. */
async function startCounter(): Promise<{ port: number; connections: number; close(): Promise<void> }> {
  const counter = { port: 0, connections: 0, close: async () => {} };
  const server = net.createServer((socket) => {
    counter.connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  counter.port = (server.address() as AddressInfo).port;
  counter.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return counter;
}

interface LoggedServer {
  auth: ReturnType<typeof createClient<typeof AuthService>>;
  internals: AppInternals;
  clock: ManualClock;
  /** Every log line so far, parsed. */
  lines: Array<Record<string, unknown>>;
  /** Every log line so far, as written. */
  text(): string;
  close(): Promise<void>;
}

/** A real authd whose log (warn and above) the test reads. */
async function startLoggedServer(env: Record<string, string>): Promise<LoggedServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "authd-outbound-callers-"));
  const written: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      written.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  const clock = new ManualClock();
  const config = loadConfig({
    AUTHD_DATA_DIR: dir,
    AUTHD_ARGON2_MEMORY_KIB: "1024",
    AUTHD_ARGON2_ITERATIONS: "1",
    ...env,
  });
  const { app, inspect } = await assembleApp(config, { clock, logger: createLogger("warn", sink) });
  const server = await startServer(app, "127.0.0.1", 0);
  return {
    auth: createClient(AuthService, createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" })),
    internals: inspect,
    clock,
    get lines() {
      return written.map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    text: () => written.join("\n"),
    async close() {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const CAPTCHA_SECRET = "captcha-secret-never-logged";
const SMS_SECRET = "sms-webhook-secret-never-logged";
/** Path segments that must never reach the log: a URL's path can carry a token. */
const PRIVATE_PATHS = ["/realms/inside", "/.well-known", "/siteverify-path", "/sms-path", "/keys-path"];

let counter: Awaited<ReturnType<typeof startCounter>>;
let issuer: OidcIssuer;
let strict: LoggedServer;

beforeAll(async () => {
  counter = await startCounter();
  issuer = await startOidcIssuer("authd-outbound-client");
  const here = `127.0.0.1:${counter.port}`;
  strict = await startLoggedServer({
    AUTHD_CAPTCHA_VERIFY_URL: `https://${here}/siteverify-path`,
    AUTHD_CAPTCHA_SECRET: CAPTCHA_SECRET,
    AUTHD_SMS_WEBHOOK_URL: `https://${here}/sms-path`,
    AUTHD_SMS_WEBHOOK_SECRET: SMS_SECRET,
    AUTHD_OIDC_PROVIDERS: JSON.stringify([
      { name: "on-this-machine", issuer: `https://${here}/realms/inside`, client_ids: [issuer.clientId] },
      {
        name: "keys-on-this-machine",
        issuer: "https://accounts.example",
        client_ids: [issuer.clientId],
        jwks_url: `https://localhost:${counter.port}/keys-path`,
      },
    ]),
  });
});

afterAll(async () => {
  await strict?.close();
  await issuer?.close();
  await counter?.close();
});

/** The warnings logged about `field` = `value`. */
const warningsFor = (server: LoggedServer, field: string, value: string) =>
  server.lines.filter((line) => line.level === 40 && line[field] === value);

describe("without the development allowance", () => {
  test.each([
    ["on-this-machine", `https://127.0.0.1:PORT/realms/inside`, /127\.0\.0\.1 is a loopback address/],
    ["keys-on-this-machine", "https://accounts.example", /localhost names this machine/],
  ])(
    "a provider whose documents are on this machine (%s) is unavailable: nothing is fetched, and the log says why",
    async (provider, iss, reason) => {
      const connections = counter.connections;
      const idToken = await issuer.mint(strict.clock.now(), {
        claims: { iss: iss.replace("PORT", String(counter.port)) },
      });
      await expectCode(
        strict.auth.loginWithProvider({ provider, idToken }),
        Code.Unavailable,
        /try again later/,
      );
      expect(counter.connections).toBe(connections);
      const [warning] = warningsFor(strict, "provider", provider);
      expect(warning).toMatchObject({ reason: "address" });
      expect(JSON.stringify(warning)).toMatch(reason);
      const log = strict.text();
      for (const hidden of [...PRIVATE_PATHS, idToken]) expect(log).not.toContain(hidden);
    },
  );

  test("a captcha URL on this machine is never called: the captcha fails, and the log says why", async () => {
    const connections = counter.connections;
    const captchaToken = "a-captcha-token-never-logged";
    await expectCode(
      strict.auth.register({ email: "captcha@example.com", password: PASSWORD, captchaToken }),
      Code.InvalidArgument,
      /captcha_token/,
    );
    expect(counter.connections).toBe(connections);
    const [warning] = strict.lines.filter((line) => line.msg === "captcha check failed");
    expect(warning).toMatchObject({ reason: "address" });
    expect(JSON.stringify(warning)).toMatch(/127\.0\.0\.1 is a loopback address/);
    const log = strict.text();
    for (const hidden of [...PRIVATE_PATHS, CAPTCHA_SECRET, captchaToken]) expect(log).not.toContain(hidden);
  });

  test("an SMS webhook on this machine is never called: the message waits for a retry, with the reason", async () => {
    const connections = counter.connections;
    const { outbox, store } = strict.internals;
    const text = "Your code is 271828";
    const id = await inTransaction({ store }, (tx) =>
      outbox.enqueue(tx, { kind: "sms", message: { to: "+447700900321", text } }),
    );
    await outbox.flush();
    expect(counter.connections).toBe(connections);
    const row = await store.transaction((em) => findOneStrict(em, OutboxMessageEntity, { id }));
    expect(row?.status).toBe("pending");
    expect(row?.attempts).toBe(1);
    expect(row?.lastError).toBe("OutboundRefused: 127.0.0.1 is a loopback address");
    const log = strict.text();
    for (const hidden of [...PRIVATE_PATHS, SMS_SECRET, text]) expect(log).not.toContain(hidden);
  });
});

describe("with the development allowance", () => {
  let front: http.Server;
  let frontUrl: string;
  let allowed: LoggedServer;
  const METADATA_JWKS = "https://169.254.169.254/latest/meta-data/keys-path";

  beforeAll(async () => {
    // A provider on this machine (allowed) whose discovery document names a cloud metadata address.
    front = http.createServer((req, res) => {
      if (req.url !== "/realms/inside/.well-known/openid-configuration") return void res.writeHead(404).end();
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ issuer: `${frontUrl}/realms/inside`, jwks_uri: METADATA_JWKS }));
    });
    await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve));
    frontUrl = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
    allowed = await startLoggedServer({
      AUTHD_OUTBOUND_ALLOW_PRIVATE: "true",
      AUTHD_OIDC_PROVIDERS: JSON.stringify([
        { name: "metadata-keys", issuer: `${frontUrl}/realms/inside`, client_ids: [issuer.clientId] },
      ]),
    });
  });

  afterAll(async () => {
    await allowed?.close();
    front?.closeAllConnections();
    await new Promise<void>((resolve) => (front ? front.close(() => resolve()) : resolve()));
  });

  test("a discovery document's jwks_uri at a cloud metadata address is refused: unavailable at once, and the log says why", async () => {
    const idToken = await issuer.mint(allowed.clock.now(), { claims: { iss: `${frontUrl}/realms/inside` } });
    const started = performance.now();
    await expectCode(
      allowed.auth.loginWithProvider({ provider: "metadata-keys", idToken }),
      Code.Unavailable,
      /try again later/,
    );
    // Refused before connecting, not given up on at the 5-second deadline.
    expect(performance.now() - started).toBeLessThan(4_000);
    const [warning] = warningsFor(allowed, "provider", "metadata-keys");
    expect(warning).toMatchObject({ reason: "address" });
    expect(JSON.stringify(warning)).toMatch(/169\.254\.169\.254 is a cloud metadata address/);
    const log = allowed.text();
    for (const hidden of [...PRIVATE_PATHS, "/latest/meta-data", idToken]) expect(log).not.toContain(hidden);
  });
});
