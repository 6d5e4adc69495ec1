// Benchmarks: what authd adds on top of the work it cannot avoid, measured on this machine in this
// run. Each line prints the RPC's rate and its ratio to a baseline taken just before it:
//   Login (Connect, real server)         vs  one argon2id verify with the same costs
//   ValidateToken (Connect, real server) vs  one in-process EdDSA JWT verify (jose)
// Run with `npm run bench`. Loops are bounded by count; nothing talks to anything but loopback.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import argon2 from "argon2";
import * as jose from "jose";
import { AuthService } from "../gen/authd/v1/auth_pb.js";
import { SessionService } from "../gen/authd/v1/session_pb.js";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { createApp } from "../src/app.js";
import { loadConfig } from "../src/config.js";
import { startServer } from "../src/server.js";
import { UserEntity } from "../src/store/entities/user.js";

async function rate(
  label: string,
  count: number,
  concurrency: number,
  work: (i: number) => Promise<unknown>,
) {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const perSecond = count / ((performance.now() - started) / 1000);
  console.log(`${label.padEnd(52)} ${perSecond.toFixed(1).padStart(10)} /s`);
  return perSecond;
}

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "authd-bench-"));
  const config = loadConfig({ AUTHD_DATA_DIR: dataDir, AUTHD_PORT: "0", AUTHD_LOG_LEVEL: "silent" });
  const app = await createApp(config);
  const server = await startServer(app, "127.0.0.1", 0);
  const transport = createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" });
  const auth = createClient(AuthService, transport);
  const password = "correct horse battery staple";
  const concurrency = os.availableParallelism();
  try {
    console.log(
      `authd benchmarks on ${os.cpus()[0]?.model ?? "?"} x${os.cpus().length}, Node ${process.version}`,
    );
    console.log(
      `argon2id m=${config.argon2MemoryKib} KiB t=${config.argon2Iterations} p=${config.argon2Parallelism}\n`,
    );

    await auth.register({ email: "bench@example.com", password });
    await app.store.transaction((em) =>
      em.update(UserEntity, { email: "bench@example.com" }, { emailVerified: true }),
    );
    const hash = await argon2.hash(password, {
      type: argon2.argon2id,
      memoryCost: config.argon2MemoryKib,
      timeCost: config.argon2Iterations,
      parallelism: config.argon2Parallelism,
    });

    const argonRate = await rate("baseline: argon2id verify", 40, concurrency, () =>
      argon2.verify(hash, password),
    );
    const loginRate = await rate("Login over Connect", 40, concurrency, () =>
      auth.login({ identifier: "bench@example.com", password }),
    );
    console.log(
      `${"  ratio Login / argon2 verify".padEnd(52)} ${(loginRate / argonRate).toFixed(2).padStart(10)}\n`,
    );

    const login = await auth.login({ identifier: "bench@example.com", password });
    if (login.result.case !== "tokens") throw new Error("expected tokens");
    const token = login.result.value.accessToken;
    const jwks = jose.createLocalJWKSet((await app.jwks()) as jose.JSONWebKeySet);
    const options = { issuer: config.issuer, audience: config.audience, algorithms: ["EdDSA"] };
    const joseRate = await rate("baseline: jose EdDSA JWT verify (in process)", 2000, 1, () =>
      jose.jwtVerify(token, jwks, options),
    );
    const health = createClient(Health, transport);
    await rate("reference: Health/Check over Connect (one SELECT 1)", 1000, concurrency * 2, () =>
      health.check({}),
    );
    const sessions = createClient(SessionService, transport);
    const validateRate = await rate("ValidateToken over Connect", 1000, concurrency * 2, () =>
      sessions.validateToken({ token }),
    );
    console.log(
      `${"  ratio ValidateToken / jose verify".padEnd(52)} ${(validateRate / joseRate).toFixed(2).padStart(10)}`,
    );
  } finally {
    await server.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
