// What reaches the log and what reaches the client when things go wrong.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthService } from "../../../gen/authd/v1/auth_pb.js";
import { type App, type AppInternals, assembleApp } from "../../../src/app.js";
import { ManualClock } from "../../../src/clock.js";
import { loadConfig } from "../../../src/config.js";
import { createLogger } from "../../../src/logger.js";
import { type RunningServer, startServer } from "../../../src/server.js";
import { startSmtpServer, type TestSmtpServer } from "../../helpers/smtp.js";

const lines: string[] = [];
const sink = new Writable({
  write(chunk, _encoding, done) {
    lines.push(...String(chunk).split("\n").filter(Boolean));
    done();
  },
});

let dir: string;
let app: App;
let internals: AppInternals;
let server: RunningServer;
let smtp: TestSmtpServer;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "authd-logs-"));
  smtp = await startSmtpServer();
  const config = loadConfig({
    AUTHD_DATA_DIR: dir,
    AUTHD_LOG_LEVEL: "trace",
    AUTHD_SMTP_URL: smtp.url,
    AUTHD_ARGON2_MEMORY_KIB: "1024",
    AUTHD_ARGON2_ITERATIONS: "1",
  });
  ({ app, inspect: internals } = await assembleApp(config, {
    clock: new ManualClock(),
    logger: createLogger("trace", sink),
  }));
  server = await startServer(app, "127.0.0.1", 0);
});
afterAll(async () => {
  await server.close().catch(() => undefined);
  await smtp.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("logs", () => {
  it("never contain a password, token or emailed secret, even at trace level", async () => {
    const auth = createClient(
      AuthService,
      createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }),
    );
    const password = "Sekrit passphrase that must not leak";
    await auth.register({ email: "logged@example.com", password });
    await internals.outbox.flush();
    const mail = await smtp.waitFor((m) => m.to.includes("logged@example.com"));
    const token = /token=([\w-]+)/.exec(mail.text)?.[1] ?? "";
    await auth.verifyEmail({ token });
    const res = await auth.login({ identifier: "logged@example.com", password });
    const tokens = res.result.case === "tokens" ? res.result.value : undefined;
    await auth
      .login({ identifier: "logged@example.com", password: `${password} wrong` })
      .catch(() => undefined);
    const all = lines.join("\n");
    expect(lines.some((l) => l.includes('"rpc"'))).toBe(true);
    for (const secret of [password, token, tokens?.accessToken, tokens?.refreshToken]) {
      expect(secret).toBeTruthy();
      expect(all).not.toContain(secret as string);
    }
  });

  it("record each RPC's outcome in the clear under rpcCode", async () => {
    const auth = createClient(
      AuthService,
      createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }),
    );
    const before = lines.length;
    await auth.login({ identifier: "logged@example.com", password: "Sekrit passphrase that must not leak" });
    await auth
      .login({ identifier: "logged@example.com", password: "a wrong passphrase" })
      .catch(() => undefined);
    const rpcLines = lines
      .slice(before)
      .map((l) => JSON.parse(l) as { msg: string; procedure?: string; rpcCode?: string; code?: unknown })
      .filter((l) => l.msg === "rpc" && l.procedure === "authd.v1.AuthService/Login");
    expect(rpcLines.map((l) => l.rpcCode)).toEqual(["ok", "unauthenticated"]);
    expect(rpcLines.every((l) => l.code === undefined)).toBe(true);
  });

  it("write each RPC's line with exactly its own fields (it is the one line written without redaction)", async () => {
    const auth = createClient(
      AuthService,
      createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }),
    );
    const before = lines.length;
    const password = "Sekrit passphrase that must not leak";
    await auth.login({ identifier: "logged@example.com", password });
    const rpcLine = lines
      .slice(before)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === "rpc" && l.procedure === "authd.v1.AuthService/Login");
    expect(Object.keys(rpcLine ?? {}).sort()).toEqual(
      ["ip", "level", "ms", "msg", "procedure", "requestId", "rpcCode", "service", "time"].sort(),
    );
    expect(rpcLine).toMatchObject({ service: "authd", ip: "127.0.0.1", rpcCode: "ok" });
    expect(typeof rpcLine?.requestId).toBe("string");
    expect(typeof rpcLine?.ms).toBe("number");
    expect(lines.slice(before).join("\n")).not.toContain(password);
  });

  it("blank secret fields wherever another line carries them", () => {
    const before = lines.length;
    app.logger.warn(
      { password: "pw-1", nested: { refreshToken: "rt-2", deeper: { code: "123456" } } },
      "careless line",
    );
    const line = lines.slice(before).join("\n");
    for (const secret of ["pw-1", "rt-2", "123456"]) expect(line).not.toContain(secret);
    expect(line).toContain("[redacted]");
  });

  it("log an unexpected failure with its request id, and answer Internal with only that id", async () => {
    const auth = createClient(
      AuthService,
      createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }),
    );
    await internals.store.dataSource.destroy(); // the database goes away under a running server
    const error = await auth
      .register({ email: "later@example.com", password: "another good passphrase" })
      .then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
    expect(error?.code).toBe(Code.Internal);
    const requestId = /request id ([\w-]+)/.exec(error?.rawMessage ?? "")?.[1];
    expect(requestId).toBeTruthy();
    expect(error?.rawMessage).not.toMatch(/SQLITE|TypeORM|at .*\.ts/);
    const logged = lines
      .map((l) => JSON.parse(l) as { msg: string; requestId?: string })
      .find((l) => l.msg === "unexpected error");
    expect(logged?.requestId).toBe(requestId);
  });
});
