// authd without a socket: the real app on its own SQLite file, and the real routes, interceptors and
// handlers behind connect's createRouterTransport, so a call goes through everything a served RPC
// goes through except HTTP. For RPC tests that gain nothing from a port (validation, what a use case
// answers). What depends on the wire stays on startTestServer: gRPC and gRPC-Web, bodies that do not
// decode or are too large, headers and cookies as HTTP carries them, client addresses, timeouts.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createClient, createRouterTransport, type Interceptor, type Transport } from "@connectrpc/connect";
import { assembleApp } from "../../src/app.js";
import { ManualClock } from "../../src/clock.js";
import { loadConfig } from "../../src/config.js";
import { requestInfoKey } from "../../src/context.js";
import { readRequestInfo } from "../../src/http/request-info.js";
import { authenticationInterceptor } from "../../src/interceptors/authentication.js";
import { errorInterceptor } from "../../src/interceptors/errors.js";
import { loggingInterceptor } from "../../src/interceptors/logging.js";
import { createRoutes } from "../../src/routes.js";
import { testDatabase } from "./kit.js";
import { FAST_ENV, type Protocol, type RpcServer } from "./server.js";

/** Where an in-process request comes from, as the server would read it off a loopback socket. */
const LOOPBACK = "127.0.0.1";

export type InProcessServer = RpcServer;

/** `env` as startTestServer takes it: added to the fast defaults; undefined leaves a variable unset. */
export async function startInProcess(env: Record<string, string | undefined> = {}): Promise<InProcessServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "authd-test-"));
  const clock = new ManualClock();
  const config = loadConfig({ AUTHD_DATA_DIR: dataDir, AUTHD_PORT: "0", ...FAST_ENV, ...env });
  const { app, inspect } = await assembleApp(config, { clock });

  // What src/server.ts puts around the routes, in its order, behind one more interceptor that
  // reads the request's metadata as the server does from the Node request (here, its headers and
  // a loopback peer).
  const requestInfo: Interceptor = (next) => (req) => {
    const headers = Object.fromEntries(req.header.entries());
    req.contextValues.set(
      requestInfoKey,
      readRequestInfo({ headers, socket: { remoteAddress: LOOPBACK } }, config.trustedProxies),
    );
    return next(req);
  };
  const routes = createRoutes(app);
  const router = {
    interceptors: [
      requestInfo,
      app.metrics.interceptor(),
      loggingInterceptor(app.logger),
      errorInterceptor(app.logger),
      authenticationInterceptor({ config: app.config, credentials: app.credentials }),
    ],
    readMaxBytes: config.maxMessageBytes,
  };

  const transport = (protocol: Protocol = "connect", headers: Record<string, string> = {}): Transport => {
    if (protocol !== "connect") {
      throw new Error(`in process, calls use the Connect protocol only; ${protocol} needs startTestServer`);
    }
    const sendHeaders: Interceptor = (next) => (req) => {
      for (const [name, value] of Object.entries(headers)) req.header.set(name, value);
      return next(req);
    };
    // JSON, as the Connect clients of startTestServer send it.
    return createRouterTransport(routes, {
      router,
      transport: { useBinaryFormat: false, interceptors: [sendHeaders] },
    });
  };

  return {
    app,
    db: testDatabase(inspect.store),
    mail: inspect.outbox,
    internals: inspect,
    afterReply: inspect.afterReply,
    clock,
    dataDir,
    transport,
    client: (service, protocol, headers) => createClient(service, transport(protocol, headers)),
    async close() {
      await app.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
