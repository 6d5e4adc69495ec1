// /metrics as Prometheus scrapes it: on the main port behind its own bearer token, or on a listener
// of its own; the counts follow the RPCs and sign-ins a test makes.
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health } from "../../../gen/grpc/health/v1/health_pb.js";
import { OutboxMessageEntity } from "../../../src/store/entities/outbox-message.js";
import { expectCode, PASSWORD } from "../../helpers/accounts.js";
import { type MfaHarness, startMfaHarness } from "../../helpers/mfa.js";
import { createTestDatabase } from "../../helpers/postgres.js";
import { startTestServer } from "../../helpers/server.js";

const TOKEN = "metrics-token-for-tests-0123456789";

/** The value of the sample `name{labels}` in an exposition text, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries(
      [...(match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => present[k] === v)) return Number(match[3]);
  }
  return undefined;
}

describe("/metrics on the main port", () => {
  let h: MfaHarness;
  const scrape = async (token = TOKEN) => {
    const res = await fetch(`${h.server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
  };

  beforeAll(async () => {
    h = await startMfaHarness({ AUTHD_METRICS_TOKEN: TOKEN, AUTHD_LOGIN_MAX_FAILURES: "2" });
    await h.signUp("ada@example.com");
    await h.signUp("bob@example.com");
    // A message that gave up, in place before the first scrape (counts are cached for 5 seconds).
    await h.server.db.transaction((em) =>
      em.insert(OutboxMessageEntity, {
        id: "00000000-0000-4000-8000-000000000001",
        kind: "email",
        payload: "{}",
        status: "failed",
        attempts: 12,
        nextAttemptAt: 0,
        lockedUntil: null,
        claimedBy: null,
        lastError: "ECONNREFUSED: test",
        createdAt: h.server.clock.now(),
        sentAt: null,
      }),
    );
  });
  afterAll(() => h.close());

  it("is refused without the token, with a wrong one, and with the token in another scheme", async () => {
    expect((await fetch(`${h.server.url}/metrics`)).status).toBe(401);
    expect((await scrape("not-the-metrics-token-at-all")).status).toBe(401);
    const basic = await fetch(`${h.server.url}/metrics`, { headers: { authorization: `Basic ${TOKEN}` } });
    expect(basic.status).toBe(401);
    expect(basic.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("counts RPCs by procedure and code, and times them per procedure", async () => {
    const before = await scrape();
    const health = h.server.client(Health, "grpc");
    for (let i = 0; i < 3; i++) await health.check({});
    await expectCode(h.auth.verifyEmail({ token: "" }), Code.InvalidArgument);
    const { status, type, text } = await scrape();
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/plain; version=0\.0\.4/);
    const check = { procedure: "grpc.health.v1.Health/Check" };
    const ok = (t: string) => sample(t, "authd_rpc_requests_total", { ...check, code: "ok" }) ?? 0;
    expect(ok(text) - ok(before.text)).toBe(3);
    expect(
      sample(text, "authd_rpc_requests_total", {
        procedure: "authd.v1.AuthService/VerifyEmail",
        code: "invalid_argument",
      }),
    ).toBe(1);
    const count = (t: string) => sample(t, "authd_rpc_duration_seconds_count", check) ?? 0;
    expect(count(text) - count(before.text)).toBe(3);
    // Every observation falls in the +Inf bucket, and none took a negative time.
    expect(sample(text, "authd_rpc_duration_seconds_bucket", { ...check, le: "+Inf" })).toBe(count(text));
    expect(sample(text, "authd_rpc_duration_seconds_sum", check)).toBeGreaterThanOrEqual(0);
    expect(text).toContain("# TYPE authd_rpc_duration_seconds histogram");
  });

  it("counts sign-ins by outcome: success, wrong password, locked, MFA required", async () => {
    const outcome = async (o: string) =>
      sample((await scrape()).text, "authd_sign_ins_total", { outcome: o });
    await h.login("ada@example.com");
    expect(await outcome("success")).toBe(1);

    await expectCode(
      h.auth.login({ identifier: "ada@example.com", password: "wrong password!" }),
      Code.Unauthenticated,
    );
    await expectCode(
      h.auth.login({ identifier: "nobody@example.com", password: "wrong password!" }),
      Code.Unauthenticated,
    );
    expect(await outcome("wrong_password")).toBe(2);

    // A second failure locks bob (AUTHD_LOGIN_MAX_FAILURES=2); his right password then meets the lock,
    // answered like a wrong password but counted as locked.
    for (let i = 0; i < 2; i++) {
      await expectCode(
        h.auth.login({ identifier: "bob@example.com", password: "wrong password!" }),
        Code.Unauthenticated,
      );
    }
    expect(await outcome("wrong_password")).toBe(4);
    await expectCode(
      h.auth.login({ identifier: "bob@example.com", password: PASSWORD }),
      Code.Unauthenticated,
    );
    expect(await outcome("locked")).toBe(1);
    expect(await outcome("wrong_password")).toBe(4);

    const totp = await h.userWithTotp("cy@example.com");
    const res = await h.auth.login({ identifier: totp.email, password: PASSWORD });
    expect(res.result.case).toBe("mfaChallenge");
    expect(await outcome("mfa_required")).toBe(1);
  });

  it("reports the outbox depth by state, including messages that gave up", async () => {
    await h.server.mail.flush();
    const { text } = await scrape();
    expect(sample(text, "authd_outbox_messages", { state: "failed" })).toBe(1);
    expect(sample(text, "authd_outbox_messages", { state: "pending" })).toBe(0);
    expect(sample(text, "authd_database_up")).toBe(1);
  });

  it("includes the process metrics", async () => {
    const { text } = await scrape();
    expect(sample(text, "process_cpu_seconds_total")).toBeGreaterThan(0);
    expect(sample(text, "nodejs_heap_size_used_bytes")).toBeGreaterThan(0);
  });
});

describe("/metrics configuration", () => {
  it("is not served at all by default", async () => {
    const server = await startTestServer();
    try {
      expect(server.app.config.metricsToken).toBeUndefined();
      const res = await fetch(`${server.url}/metrics`);
      expect(res.status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it("is served without a token on its own listener, and not on the main port", async () => {
    const server = await startTestServer({ AUTHD_METRICS_ADDR: "127.0.0.1:0" });
    try {
      await server.client(Health).check({});
      const url = server.metricsUrl as string;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const text = await (await fetch(url)).text();
      expect(
        sample(text, "authd_rpc_requests_total", {
          procedure: "grpc.health.v1.Health/Check",
          code: "ok",
        }),
      ).toBe(1);
      expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
      expect((await fetch(url.replace("/metrics", "/healthz"))).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it("reports the PostgreSQL pool and the outbox query there too", async () => {
    const db = await createTestDatabase();
    const server = await startTestServer({ AUTHD_DATABASE_URL: db.url, AUTHD_METRICS_ADDR: "127.0.0.1:0" });
    try {
      await server.client(Health, "grpc").check({});
      const text = await (await fetch(server.metricsUrl as string)).text();
      expect(sample(text, "authd_db_pool_connections", { state: "total" })).toBeGreaterThanOrEqual(1);
      // The scrape's own outbox query may be the one waiting for a connection.
      expect(sample(text, "authd_db_pool_connections", { state: "waiting" })).toBeGreaterThanOrEqual(0);
      expect(sample(text, "authd_db_pool_max_connections")).toBeGreaterThanOrEqual(1);
      expect(sample(text, "authd_outbox_messages", { state: "pending" })).toBe(0);
      expect(sample(text, "authd_database_up")).toBe(1);
    } finally {
      await server.close();
      await db.drop();
    }
  });

  it("refuses a short token and a malformed address, naming the variable", async () => {
    const { loadConfig } = await import("../../../src/config.js");
    expect(() => loadConfig({ AUTHD_METRICS_TOKEN: "short" })).toThrow(/AUTHD_METRICS_TOKEN/);
    expect(() => loadConfig({ AUTHD_METRICS_ADDR: "9464" })).toThrow(/AUTHD_METRICS_ADDR/);
    expect(loadConfig({ AUTHD_METRICS_ADDR: "[::1]:9464" }).metricsAddr).toEqual({ host: "::1", port: 9464 });
  });
});
