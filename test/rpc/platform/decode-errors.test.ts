// A request message that does not decode is the client's mistake: invalid_argument over every
// protocol, never internal. Raw HTTP requests, since no generated client sends broken bytes.
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus } from "../../../gen/grpc/health/v1/health_pb.js";
import { frame, grpcCall, grpcWebStatus } from "../../helpers/raw-rpc.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

/** A varint field header that promises 100 bytes of string, followed by only two. */
const TRUNCATED = new Uint8Array([0x0a, 0x64, 0x61, 0x62]);
const LOGIN = "/authd.v1.AuthService/Login";

describe("a request message that does not decode answers invalid_argument", () => {
  it("over Connect with a binary (application/proto) body", async () => {
    const res = await fetch(`${server.url}${LOGIN}`, {
      method: "POST",
      headers: { "content-type": "application/proto" },
      body: TRUNCATED,
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; message: string };
    expect(body.code).toBe("invalid_argument");
    expect(body.message).toMatch(/premature EOF/);
  });

  it("over gRPC with a frame whose message is truncated", async () => {
    const { status } = await grpcCall(server.url, LOGIN, frame(0, TRUNCATED));
    expect(status).toBe(String(Code.InvalidArgument));
  });

  it("over gRPC with a compressed frame and no grpc-encoding", async () => {
    const { status } = await grpcCall(server.url, LOGIN, frame(1, TRUNCATED));
    expect(status).toBe(String(Code.InvalidArgument));
  });

  it("over gRPC with a gzip frame that is not gzip", async () => {
    const { status } = await grpcCall(server.url, LOGIN, frame(1, TRUNCATED), { "grpc-encoding": "gzip" });
    expect(status).toBe(String(Code.InvalidArgument));
  });

  it("over gRPC-Web with a frame whose message is truncated", async () => {
    const res = await fetch(`${server.url}${LOGIN}`, {
      method: "POST",
      headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
      body: frame(0, TRUNCATED),
    });
    expect(grpcWebStatus(new Uint8Array(await res.arrayBuffer()))).toBe(String(Code.InvalidArgument));
  });

  it("leaves a well-formed request alone, and the server keeps serving", async () => {
    const res = await server.client(Health, "grpc").check({});
    expect(res.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    const web = await server.client(Health, "grpc-web").check({});
    expect(web.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });
});
