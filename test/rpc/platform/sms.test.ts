// SMS delivery through the outbox to a real local HTTP server playing the SMS gateway.
import { createHmac, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSmsProvider, logSmsProvider } from "../../../src/delivery/sms.js";
import { createLogger } from "../../../src/logger.js";
import { createGuardedHttp } from "../../../src/outbound/guarded-http.js";
import { OutboxMessageEntity } from "../../../src/store/entities/outbox-message.js";
import { findOneStrict } from "../../../src/store/guard.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import { inTransaction } from "../../helpers/transaction.js";

const SECRET = "webhook-shared-secret";

interface Received {
  signature: string;
  body: string;
}

const received: Received[] = [];
const answers: number[] = [];
let gateway: http.Server;
let server: TestServer;

beforeAll(async () => {
  gateway = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      received.push({ signature: String(req.headers["x-authd-signature"] ?? ""), body });
      res.writeHead(answers.shift() ?? 202).end();
    });
  });
  await new Promise<void>((resolve) => gateway.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}/sms`;
  server = await startTestServer({
    AUTHD_SMS_WEBHOOK_URL: url,
    AUTHD_SMS_WEBHOOK_SECRET: SECRET,
    // The gateway is on loopback.
    AUTHD_OUTBOUND_ALLOW_PRIVATE: "true",
  });
});
afterAll(async () => {
  await server?.close();
  gateway?.closeAllConnections();
  await new Promise((resolve) => gateway?.close(resolve));
});

/** What a receiver does: recompute the HMAC of "<t>.<body>" and compare in constant time. */
function verifySignature(header: string, body: string, secret: string): { valid: boolean; t: number } {
  const parts = Object.fromEntries(header.split(",").map((p) => p.split("=") as [string, string]));
  const expected = createHmac("sha256", secret).update(`${parts.t}.${body}`).digest("hex");
  const given = parts.v1 ?? "";
  const valid =
    given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
  return { valid, t: Number(parts.t) };
}

describe("SMS webhook", () => {
  it("POSTs {to, text, id} as JSON with a signature the receiver can verify", async () => {
    const { db, mail: outbox, clock } = server;
    const id = await inTransaction(db, (tx) =>
      outbox.enqueue(tx, { kind: "sms", message: { to: "+447700900123", text: "Your code is 424242" } }),
    );
    await outbox.flush();
    const request = received.find((r) => r.body.includes("+447700900123"));
    expect(request).toBeDefined();
    expect(JSON.parse(request?.body ?? "")).toEqual({ to: "+447700900123", text: "Your code is 424242", id });
    expect(request?.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const check = verifySignature(request?.signature ?? "", request?.body ?? "", SECRET);
    expect(check.valid).toBe(true);
    expect(check.t).toBe(Math.floor(clock.now() / 1000));
    expect(verifySignature(request?.signature ?? "", request?.body ?? "", "another-secret").valid).toBe(
      false,
    );
    expect(verifySignature(request?.signature ?? "", `${request?.body} `, SECRET).valid).toBe(false);
    const row = await db.transaction((em) => findOneStrict(em, OutboxMessageEntity, { id }));
    expect(row?.status).toBe("sent");
  });

  it("retries after a 500 answer and sends the same id again", async () => {
    const { db, mail: outbox, clock } = server;
    answers.push(500);
    const id = await inTransaction(db, (tx) =>
      outbox.enqueue(tx, { kind: "sms", message: { to: "+15555550100", text: "Your code is 111222" } }),
    );
    await outbox.flush();
    let row = await db.transaction((em) => findOneStrict(em, OutboxMessageEntity, { id }));
    expect(row?.status).toBe("pending");
    expect(row?.attempts).toBe(1);
    expect(row?.lastError).toBe("SmsWebhookError: SMS webhook answered HTTP 500");
    clock.advanceSeconds(5);
    await outbox.flush();
    row = await db.transaction((em) => findOneStrict(em, OutboxMessageEntity, { id }));
    expect(row?.status).toBe("sent");
    expect(row?.attempts).toBe(2);
    const requests = received.filter((r) => r.body.includes("+15555550100"));
    expect(requests).toHaveLength(2);
    expect(requests.map((r) => JSON.parse(r.body).id)).toEqual([id, id]);
  });
});

describe("SMS without a webhook", () => {
  it("is written to the log in development", async () => {
    const lines: string[] = [];
    const logger = createLogger(
      "info",
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    await logSmsProvider(logger).send({ to: "+15555550101", text: "Your code is 999000" }, "id-9");
    const entry = JSON.parse(lines[0] ?? "{}");
    expect(entry).toMatchObject({
      level: 30,
      to: "+15555550101",
      text: "Your code is 999000",
      outboxId: "id-9",
    });
  });

  it("is refused (not logged) in production", async () => {
    const logger = createLogger("silent");
    const provider = createSmsProvider({
      webhookUrl: undefined,
      webhookSecret: undefined,
      env: "production",
      logger,
      clock: { now: () => 0 },
      http: createGuardedHttp({ allowPrivate: false }),
    });
    await expect(provider.send({ to: "+15555550102", text: "x" }, "id")).rejects.toThrow(
      "AUTHD_SMS_WEBHOOK_URL",
    );
  });
});
