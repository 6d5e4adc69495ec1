// Starts a real authd on a random port with its own SQLite file, and builds the generated clients
// over each protocol. One call per test file; `close` stops the server and deletes the database.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { DescService } from "@bufbuild/protobuf";
import { type Client, createClient, type Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { type App, type AppInternals, assembleApp } from "../../src/app.js";
import { bindPort } from "../../src/bound-port.js";
import { ManualClock } from "../../src/clock.js";
import { listeningOn, loadConfig } from "../../src/config.js";
import { startServer } from "../../src/server.js";
import { type TestDatabase, type TestMail, testDatabase } from "./kit.js";

export type Protocol = "connect" | "grpc" | "grpc-web";
export const protocols: Protocol[] = ["connect", "grpc", "grpc-web"];

/** What a test reaches of a running authd, on a port (startTestServer) or in process (in-process.ts). */
export interface RpcServer {
  app: App;
  /** Seeding and inspecting the database (kit.ts). */
  db: TestDatabase;
  /** The outbox: `flush()` delivers what is due now (kit.ts). */
  mail: TestMail;
  /** The work Register and the "email me" RPCs leave for after their answer: `settled()` waits for it. */
  afterReply: AppInternals["afterReply"];
  /** What else the app is built on (the hasher, the signing keys, the templates), for the few tests that need it. */
  internals: AppInternals;
  clock: ManualClock;
  dataDir: string;
  transport(protocol?: Protocol, headers?: Record<string, string>): Transport;
  client<T extends DescService>(service: T, protocol?: Protocol, headers?: Record<string, string>): Client<T>;
  close(): Promise<void>;
}

export interface TestServer extends RpcServer {
  url: string;
  /** The separate metrics listener, when AUTHD_METRICS_ADDR is set. */
  metricsUrl?: string;
}

/** Small argon2 costs keep the suite fast; production defaults are tested in the password tests. */
export const FAST_ENV = {
  AUTHD_ARGON2_MEMORY_KIB: "1024",
  AUTHD_ARGON2_ITERATIONS: "1",
  AUTHD_LOG_LEVEL: "silent",
};

/** `env` is added to the fast defaults; a variable set to undefined is left unset (its default applies). */
export async function startTestServer(env: Record<string, string | undefined> = {}): Promise<TestServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "authd-test-"));
  const clock = new ManualClock();
  const config = loadConfig({ AUTHD_DATA_DIR: dataDir, AUTHD_PORT: "0", ...FAST_ENV, ...env });
  // As `authd serve` does: the port first, so that the app's public URL (when AUTHD_PUBLIC_URL is
  // not set) names the port really bound.
  const bound = await bindPort("127.0.0.1", config.port);
  const { app, inspect } = await assembleApp(listeningOn(config, bound.port), { clock }).catch(
    async (error: unknown) => {
      await bound.close();
      throw error;
    },
  );
  const server = await startServer(app, "127.0.0.1", bound);

  const transport = (protocol: Protocol = "connect", headers: Record<string, string> = {}) => {
    const interceptors = [
      // biome-ignore lint/suspicious/noExplicitAny: interceptor request type is generic
      (next: any) => (req: any) => {
        for (const [k, v] of Object.entries(headers)) req.header.set(k, v);
        return next(req);
      },
    ];
    switch (protocol) {
      case "connect":
        return createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", interceptors });
      case "grpc":
        return createGrpcTransport({ baseUrl: server.url, interceptors });
      case "grpc-web":
        return createGrpcWebTransport({ baseUrl: server.url, httpVersion: "1.1", interceptors });
    }
  };

  return {
    url: server.url,
    metricsUrl: server.metricsUrl,
    app,
    db: testDatabase(inspect.store),
    mail: inspect.outbox,
    afterReply: inspect.afterReply,
    internals: inspect,
    clock,
    dataDir,
    transport,
    client: (service, protocol, headers) => createClient(service, transport(protocol, headers)),
    async close() {
      await server.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
