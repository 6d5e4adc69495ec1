// Outbound HTTP (src/outbound/guarded-http.ts) against real servers on loopback: without the
// development allowance nothing reaches them (literal addresses, localhost, names that resolve there,
// a name that resolves elsewhere when checked and there when connected), http is refused, redirects
// are not followed, a silent or trickling server is cut at the deadline and an endless body at its cap.
// A test's resolver stands in for DNS, so a name can be made to resolve where the test needs.
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import net, { type AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { OutboundRefused, type OutboundRequest, OutboundUnavailable } from "../../src/domain/outbound.js";
import { createGuardedHttp, type ResolvedAddress } from "../../src/outbound/guarded-http.js";

const fixtures = path.join(import.meta.dirname, "..", "fixtures");
const TLS_CERT = fs.readFileSync(path.join(fixtures, "outbound-tls.crt"), "utf8");
const TLS_KEY = fs.readFileSync(path.join(fixtures, "outbound-tls.key"), "utf8");

/** A resolver that answers from a script and counts its calls: each name's answers in turn, the last one repeated. */
function scriptedResolver(script: Record<string, string[][]>) {
  const calls: string[] = [];
  const resolve = async (hostname: string): Promise<ResolvedAddress[]> => {
    calls.push(hostname);
    const answers = script[hostname];
    if (!answers) throw Object.assign(new Error(`${hostname} is not in the script`), { code: "ENOTFOUND" });
    const n = calls.filter((c) => c === hostname).length;
    const answer = answers[Math.min(n, answers.length) - 1] ?? [];
    return answer.map((address) => ({ address, family: net.isIP(address) === 6 ? 6 : 4 }));
  };
  return { resolve, calls };
}

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

/** A body that never ends, written only as fast as the socket takes it. */
class EndlessBody {
  written = 0;
  readonly hungUp: Promise<void>;
  private onClose = () => {};
  constructor() {
    this.hungUp = new Promise((resolve) => {
      this.onClose = resolve;
    });
  }
  readonly handler = (res: http.ServerResponse) => {
    res.on("close", this.onClose);
    res.writeHead(200, { "content-type": "application/octet-stream" });
    const chunk = Buffer.alloc(64 * 1024, "x");
    const pump = () => {
      while (!res.destroyed && this.written < 256 * 1024 * 1024) {
        this.written += chunk.length;
        if (!res.write(chunk)) return void res.once("drain", pump);
      }
    };
    pump();
  };
}

const endless = new EndlessBody();
const hits: Record<string, number> = {};
const closed: Record<string, Promise<void>> = {};
const timers: NodeJS.Timeout[] = [];

/** Records when the request to `path` is hung up on. */
function watch(path: string, res: http.ServerResponse) {
  closed[path] = new Promise((resolve) => res.on("close", resolve));
}

const routes: Record<string, (req: http.IncomingMessage, res: http.ServerResponse) => void> = {
  "/hello": (_req, res) => res.writeHead(200, { "content-type": "text/plain", "x-test": "yes" }).end("hello"),
  "/echo": (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => res.writeHead(201).end(`${req.method} ${Buffer.concat(chunks).toString()}`));
  },
  "/redirect": (_req, res) => res.writeHead(302, { location: "/target" }).end(),
  "/target": (_req, res) => res.writeHead(200).end("followed"),
  "/silent": (_req, res) => watch("/silent", res),
  "/trickle": (_req, res) => {
    watch("/trickle", res);
    res.writeHead(200);
    const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write("x")), 50);
    timers.push(timer);
  },
  "/endless": (_req, res) => endless.handler(res),
  "/declared-large": (_req, res) => {
    watch("/declared-large", res);
    res.writeHead(200, { "content-length": String(10 * 1024 * 1024) });
    res.write("x"); // and nothing more: a client that waited for the body would wait until its deadline
  },
  "/huge-headers": (_req, res) => res.writeHead(200, { "x-padding": "p".repeat(64 * 1024) }).end("ok"),
};

function handle(req: http.IncomingMessage, res: http.ServerResponse) {
  const route = req.url ?? "";
  hits[route] = (hits[route] ?? 0) + 1;
  const handler = routes[route];
  if (handler) handler(req, res);
  else res.writeHead(404).end();
}

let plain: http.Server;
let secure: https.Server;
let counter: Awaited<ReturnType<typeof startCounter>>;
let plainPort: number;
let securePort: number;

beforeAll(async () => {
  // A large header must reach the client for the header-limit test: the server's own limit is not the one tested.
  plain = http.createServer({ maxHeaderSize: 256 * 1024 }, handle);
  secure = https.createServer({ cert: TLS_CERT, key: TLS_KEY }, handle);
  await new Promise<void>((resolve) => plain.listen(0, "127.0.0.1", resolve));
  await new Promise<void>((resolve) => secure.listen(0, "127.0.0.1", resolve));
  plainPort = (plain.address() as AddressInfo).port;
  securePort = (secure.address() as AddressInfo).port;
  counter = await startCounter();
});

afterAll(async () => {
  for (const timer of timers) clearInterval(timer);
  for (const server of [plain, secure]) {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
  await counter?.close();
});

const get = (url: string, extra: Partial<OutboundRequest> = {}): OutboundRequest => ({
  method: "GET",
  url,
  timeoutMs: 5_000,
  maxBodyBytes: 64 * 1024,
  ...extra,
});

/** The error a promise rejects with (the test fails if it resolves). */
async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a failure, got an answer");
}

async function expectRefused(promise: Promise<unknown>, reason: string, message?: RegExp) {
  const error = await failure(promise);
  expect(error).toBeInstanceOf(OutboundRefused);
  expect((error as OutboundRefused).reason).toBe(reason);
  if (message) expect(error.message).toMatch(message);
}

async function expectUnavailable(promise: Promise<unknown>, reason: string) {
  const error = await failure(promise);
  expect(error).toBeInstanceOf(OutboundUnavailable);
  expect((error as OutboundUnavailable).reason).toBe(reason);
}

describe("without the development allowance", () => {
  test("an address on this machine is refused before any connection: 127.0.0.1, localhost, [::1], ::ffff:127.0.0.1", async () => {
    const dns = scriptedResolver({});
    const client = createGuardedHttp({ allowPrivate: false, resolve: dns.resolve });
    const port = counter.port;
    await expectRefused(client.request(get(`https://127.0.0.1:${port}/`)), "address", /loopback/);
    await expectRefused(client.request(get(`https://localhost:${port}/`)), "address", /this machine/);
    await expectRefused(client.request(get(`https://[::1]:${port}/`)), "address", /loopback/);
    await expectRefused(client.request(get(`https://[::ffff:127.0.0.1]:${port}/`)), "address", /loopback/);
    // The integer spelling of 127.0.0.1 is the same address to the URL parser, and to us.
    await expectRefused(client.request(get(`https://2130706433:${port}/`)), "address", /loopback/);
    expect(counter.connections).toBe(0);
    expect(dns.calls).toEqual([]);
  });

  test("a private or metadata address is refused at once, without waiting on the network", async () => {
    const client = createGuardedHttp({ allowPrivate: false });
    for (const url of [
      "https://10.0.0.1/",
      "https://169.254.169.254/latest/meta-data/",
      "https://[fd00:ec2::254]/",
      "https://100.64.0.1/",
      "https://metadata.google.internal/computeMetadata/v1/",
    ]) {
      const started = performance.now();
      await expectRefused(client.request(get(url)), "address");
      expect(performance.now() - started).toBeLessThan(500);
    }
  });

  test("a name that resolves to loopback is refused when the connection is made", async () => {
    const dns = scriptedResolver({ "inside.test": [["127.0.0.1"]] });
    const client = createGuardedHttp({ allowPrivate: false, resolve: dns.resolve });
    await expectRefused(
      client.request(get(`https://inside.test:${counter.port}/`)),
      "address",
      /inside\.test resolves to a refused address: 127\.0\.0\.1 is a loopback address/,
    );
    expect(dns.calls).toEqual(["inside.test"]);
    expect(counter.connections).toBe(0);
  });

  test("a name with one private address among public ones is refused", async () => {
    const dns = scriptedResolver({ "mixed.test": [["93.184.215.14", "10.1.2.3"]] });
    const client = createGuardedHttp({ allowPrivate: false, resolve: dns.resolve });
    await expectRefused(client.request(get("https://mixed.test/")), "address", /10\.1\.2\.3 is a private/);
    await expectRefused(client.check("https://mixed.test/"), "address");
  });

  test("DNS rebinding: a name public when its URL was checked and loopback when connecting is refused at connect time", async () => {
    // The first answer (a URL checked when it is configured) is public, the next is this machine.
    const dns = scriptedResolver({ "rebind.test": [["93.184.215.14"], ["127.0.0.1"]] });
    const client = createGuardedHttp({ allowPrivate: false, resolve: dns.resolve });
    const url = `https://rebind.test:${counter.port}/hook`;
    await client.check(url);
    await expectRefused(client.request({ ...get(url), method: "POST", body: "{}" }), "address", /loopback/);
    expect(dns.calls).toEqual(["rebind.test", "rebind.test"]);
    expect(counter.connections).toBe(0);
  });

  test("http is refused, even to a public name, before it is looked up", async () => {
    const dns = scriptedResolver({ "public.test": [["93.184.215.14"]] });
    const client = createGuardedHttp({ allowPrivate: false, resolve: dns.resolve });
    await expectRefused(client.request(get("http://public.test/")), "scheme", /only https/);
    await expectRefused(client.check("http://public.test/"), "scheme");
    await expectRefused(client.request(get(`http://127.0.0.1:${plainPort}/hello`)), "scheme");
    await expectRefused(client.request(get("ftp://public.test/")), "scheme");
    await expectRefused(client.request(get("file:///etc/passwd")), "scheme");
    await expectRefused(client.request(get("/relative")), "url");
    expect(dns.calls).toEqual([]);
    expect(hits["/hello"] ?? 0).toBe(0);
  });

  test("check passes a public name and names the one that does not resolve", async () => {
    const dns = scriptedResolver({
      "public.test": [["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]],
    });
    const client = createGuardedHttp({ allowPrivate: false, resolve: dns.resolve });
    await client.check("https://public.test/hook");
    await client.check("https://93.184.215.14/hook");
    await expectUnavailable(client.check("https://nowhere.test/"), "connection");
  });
});

describe("with the development allowance", () => {
  const client = createGuardedHttp({ allowPrivate: true });
  const local = (route: string) => `http://127.0.0.1:${plainPort}${route}`;

  test("http on loopback goes through: status, headers and body", async () => {
    const answer = await client.request(get(local("/hello")));
    expect(answer.status).toBe(200);
    expect(answer.headers["x-test"]).toBe("yes");
    expect(Buffer.from(answer.body).toString()).toBe("hello");
    const posted = await client.request({
      ...get(local("/echo")),
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"é":1}',
    });
    expect(posted.status).toBe(201);
    expect(Buffer.from(posted.body).toString()).toBe('POST {"é":1}');
    const named = await client.request(get(`http://localhost:${plainPort}/hello`));
    expect(named.status).toBe(200);
  });

  test("https checks the certificate: one nobody vouches for is unavailable, one the client trusts answers", async () => {
    await expectUnavailable(client.request(get(`https://127.0.0.1:${securePort}/hello`)), "connection");
    // Through a name the socket resolves with the guarded lookup: the TLS path uses it too.
    const dns = scriptedResolver({ "service.test": [["127.0.0.1"]] });
    const trusting = createGuardedHttp({ allowPrivate: true, resolve: dns.resolve, extraCa: [TLS_CERT] });
    const answer = await trusting.request(get(`https://service.test:${securePort}/hello`));
    expect(Buffer.from(answer.body).toString()).toBe("hello");
    expect(dns.calls).toEqual(["service.test"]);
  });

  test("a cloud metadata service is still refused", async () => {
    await expectRefused(
      client.request(get("http://169.254.169.254/latest/meta-data/")),
      "address",
      /metadata/,
    );
    await expectRefused(client.request(get("http://metadata.google.internal/")), "address", /metadata/);
    const dns = scriptedResolver({ "imds.test": [["169.254.169.254"]] });
    const named = createGuardedHttp({ allowPrivate: true, resolve: dns.resolve });
    await expectRefused(named.request(get("http://imds.test/")), "address", /metadata/);
  });

  test("a redirect is not followed: it is unavailable, and where it points is never asked", async () => {
    await expectUnavailable(client.request(get(local("/redirect"))), "redirect");
    expect(hits["/redirect"]).toBe(1);
    expect(hits["/target"] ?? 0).toBe(0);
  });

  test("a server that never answers is cut at the deadline", async () => {
    const started = performance.now();
    await expectUnavailable(client.request(get(local("/silent"), { timeoutMs: 300 })), "timeout");
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2_300);
    await closed["/silent"]; // the connection was dropped, not left open
  });

  test("a body that trickles in is cut at the same deadline: it covers the body, not only the headers", async () => {
    const started = performance.now();
    await expectUnavailable(client.request(get(local("/trickle"), { timeoutMs: 400 })), "timeout");
    expect(performance.now() - started).toBeLessThan(2_400);
    await closed["/trickle"];
  });

  test("an endless body is cut at its cap, promptly, the connection dropped and not read whole", async () => {
    const started = performance.now();
    await expectUnavailable(
      client.request(get(local("/endless"), { maxBodyBytes: 64 * 1024, timeoutMs: 20_000 })),
      "too-large",
    );
    expect(performance.now() - started).toBeLessThan(3_000);
    await endless.hungUp;
    // What the socket took before the client hung up: the cap plus what the kernel buffers.
    expect(endless.written).toBeGreaterThan(64 * 1024);
    expect(endless.written).toBeLessThan(16 * 1024 * 1024);
  });

  test("a declared length over the cap is refused at once, without waiting for the body", async () => {
    const started = performance.now();
    await expectUnavailable(
      client.request(get(local("/declared-large"), { maxBodyBytes: 1024, timeoutMs: 10_000 })),
      "too-large",
    );
    expect(performance.now() - started).toBeLessThan(2_000);
    await closed["/declared-large"];
  });

  test("a header block over the limit is refused", async () => {
    await expectUnavailable(client.request(get(local("/huge-headers"))), "too-large");
  });

  test("a port nobody listens on is unavailable, not refused", async () => {
    const spare = await startCounter();
    await spare.close();
    await expectUnavailable(client.request(get(`http://127.0.0.1:${spare.port}/`)), "connection");
  });
});

describe("AUTHD_OUTBOUND_ALLOW_PRIVATE", () => {
  const base = { AUTHD_DATA_DIR: "/tmp/authd-outbound-config" };

  test("is off unless set, and may be turned on in development", () => {
    expect(loadConfig(base).outboundAllowPrivate).toBe(false);
    expect(loadConfig({ ...base, AUTHD_OUTBOUND_ALLOW_PRIVATE: "true" }).outboundAllowPrivate).toBe(true);
  });

  test("is refused in production", () => {
    const production = {
      ...base,
      AUTHD_ENV: "production",
      AUTHD_SECRET: "s".repeat(32),
      AUTHD_SMTP_URL: "smtp://mail.example",
    };
    expect(loadConfig(production).outboundAllowPrivate).toBe(false);
    const load = () => loadConfig({ ...production, AUTHD_OUTBOUND_ALLOW_PRIVATE: "true" });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/AUTHD_OUTBOUND_ALLOW_PRIVATE.*production/);
  });

  test("is what lets the captcha, SMS webhook and provider URLs use plain http: without it they must use https", () => {
    const plain = {
      captcha: { AUTHD_CAPTCHA_VERIFY_URL: "http://captcha.internal/siteverify", AUTHD_CAPTCHA_SECRET: "s" },
      sms: { AUTHD_SMS_WEBHOOK_URL: "http://sms.internal/hook", AUTHD_SMS_WEBHOOK_SECRET: "s" },
      issuer: {
        AUTHD_OIDC_PROVIDERS: JSON.stringify([
          { name: "keycloak", issuer: "http://127.0.0.1:8080/realms/dev", client_ids: ["authd"] },
        ]),
      },
      jwks: {
        AUTHD_OIDC_PROVIDERS: JSON.stringify([
          {
            name: "keycloak",
            issuer: "https://sso.example/realms/dev",
            client_ids: ["authd"],
            jwks_url: "http://keycloak.internal:8080/certs",
          },
        ]),
      },
    };
    const refusals: Array<[Record<string, string>, RegExp]> = [
      [plain.captcha, /^AUTHD_CAPTCHA_VERIFY_URL: must use https.*AUTHD_OUTBOUND_ALLOW_PRIVATE/],
      [plain.sms, /^AUTHD_SMS_WEBHOOK_URL: must use https.*AUTHD_OUTBOUND_ALLOW_PRIVATE/],
      [
        plain.issuer,
        /^AUTHD_OIDC_PROVIDERS: .*keycloak.*issuer must use https.*AUTHD_OUTBOUND_ALLOW_PRIVATE/,
      ],
      [
        plain.jwks,
        /^AUTHD_OIDC_PROVIDERS: .*keycloak.*jwks_url must use https.*AUTHD_OUTBOUND_ALLOW_PRIVATE/,
      ],
    ];
    for (const [env, message] of refusals) {
      expect(() => loadConfig({ ...base, ...env })).toThrow(message);
      expect(() => loadConfig({ ...base, ...env, AUTHD_OUTBOUND_ALLOW_PRIVATE: "true" })).not.toThrow();
    }
    const secure = loadConfig({
      ...base,
      AUTHD_CAPTCHA_VERIFY_URL: "https://api.hcaptcha.com/siteverify",
      AUTHD_CAPTCHA_SECRET: "s",
      AUTHD_SMS_WEBHOOK_URL: "https://sms.example/hook",
      AUTHD_SMS_WEBHOOK_SECRET: "s",
    });
    expect(secure.captchaVerifyUrl).toBe("https://api.hcaptcha.com/siteverify");
    expect(secure.smsWebhookUrl).toBe("https://sms.example/hook");
  });
});
