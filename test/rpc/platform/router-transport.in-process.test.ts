// The in-process transport (helpers/in-process.ts) beside a served authd: the same calls read the
// same request metadata (user agent, client address, X-Forwarded-For ignored without a trusted
// proxy), pass the same interceptors (a bearer token authenticates; no token, or a wrong password,
// answers Unauthenticated), and a protocol it cannot speak is refused rather than quietly replaced.
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthService } from "../../../gen/authd/v1/auth_pb.js";
import { SessionService } from "../../../gen/authd/v1/session_pb.js";
import { expectCode } from "../../helpers/accounts.js";
import { startInProcess } from "../../helpers/in-process.js";
import { type RpcServer, startTestServer } from "../../helpers/server.js";
import { bearer, createUser, PASSWORD } from "../../helpers/sessions.js";

const CLIENT = { "user-agent": "parity-check/1.0", "x-forwarded-for": "203.0.113.7" };

describe("in process and on a port", () => {
  const servers: Record<string, RpcServer> = {};

  beforeAll(async () => {
    servers.served = await startTestServer();
    servers.inProcess = await startInProcess();
  });
  afterAll(async () => {
    for (const server of Object.values(servers)) await server.close();
  });

  /** What each server recorded of one sign-in: the session's address and user agent. */
  async function recordedSignIn(server: RpcServer) {
    const user = await createUser(server);
    const res = await server
      .client(AuthService, "connect", CLIENT)
      .login({ identifier: user.email, password: PASSWORD });
    if (res.result.case !== "tokens") throw new Error(`expected tokens, got ${res.result.case}`);
    const sessions = server.client(SessionService, "connect", bearer(res.result.value.accessToken));
    const [session] = (await sessions.listSessions({})).sessions;
    return { ipAddress: session?.ipAddress, userAgent: session?.userAgent };
  }

  it("record the same client address and user agent for a sign-in", async () => {
    const served = await recordedSignIn(servers.served as RpcServer);
    expect(served).toEqual({ ipAddress: "127.0.0.1", userAgent: "parity-check/1.0" });
    expect(await recordedSignIn(servers.inProcess as RpcServer)).toEqual(served);
  });

  it("answer Unauthenticated without a token and for a wrong password", async () => {
    for (const server of Object.values(servers)) {
      await expectCode(server.client(AuthService).getCurrentUser({}), Code.Unauthenticated);
      const user = await createUser(server);
      await expectCode(
        server.client(AuthService).login({ identifier: user.email, password: "not the password" }),
        Code.Unauthenticated,
      );
    }
  });

  it("in process, refuse gRPC and gRPC-Web instead of answering over Connect", () => {
    const inProcess = servers.inProcess as RpcServer;
    expect(() => inProcess.client(AuthService, "grpc")).toThrow(/Connect protocol only/);
    expect(() => inProcess.client(AuthService, "grpc-web")).toThrow(/Connect protocol only/);
  });
});
