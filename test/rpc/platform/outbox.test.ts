// The durable outbox, through the real app wiring and a real SMTP server.

import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/config.js";
import { logSender } from "../../../src/delivery/mailer.js";
import { backoffMs, Outbox } from "../../../src/delivery/outbox.js";
import { createTemplates } from "../../../src/delivery/templates.js";
import { SecretBox } from "../../../src/domain/secret-box.js";
import { createLogger } from "../../../src/logger.js";
import { OutboxMessageEntity } from "../../../src/store/entities/outbox-message.js";
import { findOneStrict } from "../../../src/store/guard.js";
import { createTestDatabase } from "../../helpers/postgres.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import { startSmtpServer, type TestSmtpServer } from "../../helpers/smtp.js";
import { inTransaction } from "../../helpers/transaction.js";

let smtp: TestSmtpServer;
let server: TestServer;

beforeAll(async () => {
  smtp = await startSmtpServer();
  server = await startTestServer({ AUTHD_SMTP_URL: smtp.url, AUTHD_PUBLIC_URL: "https://id.example.com" });
});
afterAll(async () => {
  await server?.close();
  await smtp?.stop();
});

function memoryLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger("debug", stream), lines };
}

async function row(id: string): Promise<OutboxMessageEntity> {
  const found = await server.db.transaction((em) => findOneStrict(em, OutboxMessageEntity, { id }));
  if (!found) throw new Error(`no outbox row ${id}`);
  return found;
}

describe("outbox", () => {
  it("delivers an enqueued email with its text and HTML parts", async () => {
    const { db, mail: outbox, internals } = server;
    const message = internals.templates.verifyEmail({ token: "tok<en>&1", expiresInMinutes: 60 * 24 });
    await inTransaction(db, (tx) => outbox.enqueueEmail(tx, { to: "ada@example.com", ...message }));
    await outbox.flush();
    const mail = await smtp.waitFor((m) => m.to.includes("ada@example.com"));
    expect(mail.subject).toBe("Verify your email address");
    expect(mail.from).toBe("no-reply@localhost");
    expect(mail.text).toContain("https://id.example.com/verify-email?token=tok%3Cen%3E%261");
    expect(mail.text).toContain("valid for 1 day");
    expect(mail.html).toContain('href="https://id.example.com/verify-email?token=tok%3Cen%3E%261"');
    expect(mail.html).toContain("<p>");
  });

  it("keeps message bodies sealed at rest until they are sent", async () => {
    const { db, mail: outbox } = server;
    await outbox.stop();
    const secretLink = "https://id.example.com/reset-password?token=very-secret-token-123";
    const id = await inTransaction(db, (tx) =>
      outbox.enqueue(tx, {
        kind: "email",
        message: {
          to: "sealed@example.com",
          subject: "Reset",
          text: secretLink,
          html: `<a>${secretLink}</a>`,
        },
      }),
    );
    const stored = (await row(id)).payload;
    expect(stored).not.toContain("very-secret-token-123");
    expect(stored).not.toContain("sealed@example.com");
    // A body altered at rest does not open: the attempt fails and nothing is sent.
    await db.transaction((em) =>
      em.update(
        OutboxMessageEntity,
        { id },
        // A character in the middle: the last base64 character may hold only padding bits, and
        // changing those changes no byte (the test then flaked when the length fell that way).
        { payload: tamperMiddle(stored) },
      ),
    );
    await outbox.flush();
    expect((await row(id)).attempts).toBe(1);
    expect(smtp.to("sealed@example.com")).toHaveLength(0);
    await db.transaction((em) =>
      em.update(OutboxMessageEntity, { id }, { payload: stored, nextAttemptAt: 0 }),
    );
    await outbox.flush();
    const mail = await smtp.waitFor((m) => m.to.includes("sealed@example.com"));
    expect(mail.text).toContain(secretLink);
    outbox.start();
  });

  it("never sends a message whose transaction rolled back", async () => {
    const { db, mail: outbox } = server;
    const before = await db.transaction((em) => em.count(OutboxMessageEntity));
    await expect(
      inTransaction(db, async (tx) => {
        await outbox.enqueueEmail(tx, {
          to: "rolled-back@example.com",
          subject: "should not arrive",
          text: "x",
          html: "<p>x</p>",
        });
        throw new Error("the registration failed");
      }),
    ).rejects.toThrow("the registration failed");
    await outbox.flush();
    expect(await db.transaction((em) => em.count(OutboxMessageEntity))).toBe(before);
    expect(smtp.to("rolled-back@example.com")).toHaveLength(0);
  });

  it("keeps a message while SMTP is down, backs off, and delivers it exactly once when SMTP is back", async () => {
    const { db, mail: outbox, clock } = server;
    await smtp.stop();
    let id = "";
    try {
      id = await inTransaction(db, (tx) =>
        outbox.enqueue(tx, {
          kind: "email",
          message: {
            to: "outage@example.com",
            subject: "during the outage",
            text: "secret link https://id.example.com/reset-password?token=abc",
            html: "<p>secret</p>",
          },
        }),
      );
      const enqueuedAt = clock.now();
      await outbox.flush();
      let pending = await row(id);
      expect(pending.status).toBe("pending");
      expect(pending.attempts).toBe(1);
      expect(pending.nextAttemptAt).toBe(enqueuedAt + 5_000);
      expect(pending.lockedUntil).toBeNull();
      expect(pending.lastError).toMatch(/ECONNREFUSED|ECONNECTION|ESOCKET/);
      expect(pending.lastError).not.toContain("token=abc");

      // Not due yet: nothing is attempted.
      expect(await outbox.flush()).toBe(0);
      clock.advanceSeconds(5);
      await outbox.flush();
      pending = await row(id);
      expect(pending.attempts).toBe(2);
      expect(pending.nextAttemptAt).toBe(clock.now() + 10_000);
    } finally {
      await smtp.restart();
    }
    expect(await outbox.flush()).toBe(0);
    clock.advanceSeconds(10);
    await outbox.flush();
    await smtp.waitFor((m) => m.to.includes("outage@example.com"));
    clock.advanceSeconds(3600);
    await outbox.flush();
    expect(smtp.to("outage@example.com")).toHaveLength(1);

    const sent = await row(id);
    expect(sent.status).toBe("sent");
    expect(sent.attempts).toBe(3);
    expect(sent.payload).toBe("{}");
    expect(sent.sentAt).toBe(clock.now() - 3600_000);
  });

  it("gives up after the last attempt, marks the message failed and logs it without its content", async () => {
    const { logger, lines } = memoryLogger();
    const outbox = new Outbox({
      store: server.db.store,
      clock: server.app.clock,
      logger,
      email: {
        send: async () => {
          throw Object.assign(new Error("mailbox unavailable"), { code: "EENVELOPE", responseCode: 550 });
        },
        close: () => undefined,
      },
      sms: { send: async () => undefined },
      box: SecretBox.fromMasterSecret("test master secret", "authd/v1 outbox payload"),
      maxAttempts: 2,
    });
    // The app's own worker would deliver it too: stop it for this test (flush still works).
    await server.mail.stop();
    const id = await inTransaction(server.db, (tx) =>
      outbox.enqueue(tx, {
        kind: "email",
        message: {
          to: "bounce@example.com",
          subject: "doomed",
          text: "code 123456",
          html: "<p>code 123456</p>",
        },
      }),
    );
    await outbox.flush();
    server.clock.advanceSeconds(5);
    await outbox.flush();
    const failed = await row(id);
    expect(failed.status).toBe("failed");
    expect(failed.attempts).toBe(2);
    expect(failed.payload).toBe("{}");
    expect(failed.lastError).toBe("EENVELOPE 550: mailbox unavailable");
    const log = lines.join("");
    expect(log).toContain("message delivery gave up");
    expect(log).not.toContain("123456");
    expect(log).not.toContain("doomed");
    await outbox.stop();
  });
});

describe("outbox housekeeping", () => {
  it("deletes sent messages after a week and keeps pending and failed ones", async () => {
    const { db, mail: outbox, clock } = server;
    const sentId = await inTransaction(db, (tx) =>
      outbox.enqueue(tx, {
        kind: "email",
        message: { to: "old@example.com", subject: "s", text: "t", html: "h" },
      }),
    );
    await outbox.flush();
    await smtp.waitFor((m) => m.to.includes("old@example.com"));
    // As old: one still waiting for its next attempt (not due before the purge), one given up on.
    const [pendingId, failedId] = await inTransaction(db, async (tx) => [
      await outbox.enqueue(tx, {
        kind: "email",
        message: { to: "later@example.com", subject: "s", text: "t", html: "h" },
      }),
      await outbox.enqueue(tx, {
        kind: "email",
        message: { to: "never@example.com", subject: "s", text: "t", html: "h" },
      }),
    ]);
    await db.transaction(async (em) => {
      await em.update(
        OutboxMessageEntity,
        { id: pendingId },
        { nextAttemptAt: clock.now() + 30 * 24 * 3_600_000 },
      );
      await em.update(OutboxMessageEntity, { id: failedId }, { status: "failed" });
    });
    clock.advanceSeconds(7 * 24 * 3600 + 1);
    const before = await db.transaction((em) => em.count(OutboxMessageEntity));
    const purged = await outbox.purgeSent();
    expect(purged).toBeGreaterThanOrEqual(1);
    const left = await db.transaction((em) => em.find(OutboxMessageEntity, {}));
    expect(left.map((r) => r.id)).not.toContain(sentId);
    expect(left.map((r) => r.id)).toEqual(expect.arrayContaining([pendingId, failedId]));
    expect(left.every((r) => r.status !== "sent")).toBe(true);
    expect(left).toHaveLength(before - purged);
  });
});

describe("backoff", () => {
  it("starts at 5 seconds, doubles, and stops growing at 1 hour", () => {
    const delays = [1, 2, 3, 4, 10, 11, 20].map((n) => backoffMs(n, 5_000, 3_600_000));
    expect(delays).toEqual([5_000, 10_000, 20_000, 40_000, 2_560_000, 3_600_000, 3_600_000]);
  });
});

describe("development log sender", () => {
  it("writes the recipient, subject and text to the log", async () => {
    const { logger, lines } = memoryLogger();
    const message = createTemplates("http://localhost:8080").passwordReset({
      token: "t0k",
      expiresInMinutes: 30,
    });
    await logSender(logger).send({ to: "dev@example.com", ...message }, "id-1");
    const entry = JSON.parse(lines[0] ?? "{}");
    expect(entry.level).toBe(30);
    expect(entry.to).toBe("dev@example.com");
    expect(entry.subject).toBe("Reset your password");
    expect(entry.text).toContain("http://localhost:8080/reset-password?token=t0k");
  });

  it("is refused in production: start-up names AUTHD_SMTP_URL", () => {
    const env = { AUTHD_ENV: "production", AUTHD_SECRET: "x".repeat(32) };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow("AUTHD_SMTP_URL");
    expect(loadConfig({ ...env, AUTHD_SMTP_URL: "smtp://mail:25" }).smtpUrl).toBe("smtp://mail:25");
  });
});

describe("two replicas on one PostgreSQL database", () => {
  it("deliver each message once", async () => {
    const db = await createTestDatabase();
    const env = {
      AUTHD_DATABASE_URL: db.url,
      AUTHD_SMTP_URL: smtp.url,
      AUTHD_OUTBOX_POLL_INTERVAL_MS: "50",
      // Replicas share the master secret that encrypts the signing keys.
      AUTHD_SECRET: "outbox-test-secret-of-at-least-32-characters",
    };
    const a = await startTestServer(env);
    const b = await startTestServer(env);
    try {
      const recipients = Array.from({ length: 30 }, (_, i) => `replica-${i}@example.com`);
      await inTransaction(a.db, async (tx) => {
        for (const to of recipients) {
          await a.mail.enqueueEmail(tx, { to, subject: "hello", text: "hi", html: "<p>hi</p>" });
        }
      });
      // Both workers poll on their own timers and both are flushed at once.
      await Promise.all([a.mail.flush(), b.mail.flush(), a.mail.flush()]);
      await smtp.waitFor((m) => m.to.includes(recipients[29] as string));
      for (const to of recipients) await smtp.waitFor((m) => m.to.includes(to));
      await Promise.all([a.mail.flush(), b.mail.flush()]);
      for (const to of recipients) expect(smtp.to(to), to).toHaveLength(1);
      const rows = await a.db.transaction((em) => em.find(OutboxMessageEntity, {}));
      expect(rows.filter((r) => r.status === "sent")).toHaveLength(30);
      expect(new Set(rows.map((r) => r.attempts))).toEqual(new Set([1]));
    } finally {
      await a.close();
      await b.close();
      await db.drop();
    }
  });
});

/** The sealed text with one character of its ciphertext changed (every bit of it is data). */
function tamperMiddle(sealed: string): string {
  const at = Math.floor(sealed.length / 2);
  const changed = sealed[at] === "A" ? "B" : "A";
  return sealed.slice(0, at) + changed + sealed.slice(at + 1);
}
