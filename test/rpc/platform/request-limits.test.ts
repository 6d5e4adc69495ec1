// The request limits a hostile or broken client meets: message size, header size, and how long a
// slow client may hold a connection or a request open.
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthService } from "../../../gen/authd/v1/auth_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "../../../gen/grpc/health/v1/health_pb.js";
import { expectCode } from "../../helpers/accounts.js";
import { frame } from "../../helpers/raw-rpc.js";
import { protocols, startTestServer, type TestServer } from "../../helpers/server.js";

let server: TestServer;
let port: number;
beforeAll(async () => {
  server = await startTestServer({
    AUTHD_MAX_MESSAGE_BYTES: "4096",
    AUTHD_MAX_HEADER_BYTES: "4096",
    AUTHD_HEADERS_TIMEOUT_MS: "400",
    AUTHD_REQUEST_TIMEOUT_MS: "800",
    AUTHD_IDLE_TIMEOUT_MS: "800",
  });
  port = Number(new URL(server.url).port);
});
afterAll(() => server.close());

/** Opens a raw TCP connection, writes `bytes`, and answers how long until the server closed it. */
function closedAfter(bytes: string, trickle?: string): Promise<{ ms: number; received: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = net.connect(port, "127.0.0.1", () => {
      if (bytes) socket.write(bytes);
    });
    let received = "";
    const drip = trickle
      ? setInterval(() => {
          if (!socket.destroyed) socket.write(trickle);
        }, 100)
      : undefined;
    socket.on("data", (chunk) => {
      received += chunk;
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearInterval(drip);
      resolve({ ms: performance.now() - started, received });
    });
    setTimeout(() => {
      clearInterval(drip);
      socket.destroy();
      reject(new Error("the server kept the connection open"));
    }, 8000).unref();
  });
}

describe("message size", () => {
  it.each(protocols)(
    "a message over AUTHD_MAX_MESSAGE_BYTES answers resource_exhausted over %s",
    async (protocol) => {
      const auth = server.client(AuthService, protocol);
      await expectCode(
        auth.login({ identifier: "someone", password: "x".repeat(5000) }),
        Code.ResourceExhausted,
      );
      // One just under the limit is read (and refused for what it says, not for its size).
      await expectCode(
        auth.login({ identifier: "someone", password: "x".repeat(3000) }),
        Code.Unauthenticated,
      );
    },
  );
});

describe("a gRPC stream answered before its request was sent", () => {
  let roomy: TestServer;
  beforeAll(async () => {
    roomy = await startTestServer({ AUTHD_MAX_MESSAGE_BYTES: "4096" });
  });
  afterAll(() => roomy.close());

  it("is reset soon after its trailers, so such streams cannot use up a session", async () => {
    const session = http2.connect(roomy.url);
    session.on("error", () => undefined);
    try {
      const outcomes = await Promise.all(
        Array.from({ length: 5 }, () => {
          const stream = session.request({
            ":method": "POST",
            ":path": "/authd.v1.AuthService/Login",
            "content-type": "application/grpc",
            te: "trailers",
          });
          stream.on("error", () => undefined);
          stream.resume();
          // A client that keeps sending after the answer: 200 KB, far over the window and the limit.
          stream.end(frame(0, new Uint8Array(200_000)));
          return new Promise<{ status: unknown; closedMs: number }>((resolve) => {
            const started = performance.now();
            let status: unknown;
            stream.on("trailers", (t) => {
              status = t["grpc-status"];
            });
            stream.on("close", () => resolve({ status, closedMs: performance.now() - started }));
          });
        }),
      );
      for (const { status, closedMs } of outcomes) {
        expect(status).toBe(String(Code.ResourceExhausted));
        // Well before the request timeout (30 s here).
        expect(closedMs).toBeLessThan(10_000);
      }
      const res = await roomy.client(Health, "grpc").check({});
      expect(res.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    } finally {
      session.destroy();
    }
  });
});

describe("a request answered before its body was read", () => {
  /** POSTs over a keep-alive agent with one socket; answers the status and whether it reused it. */
  function post(agent: http.Agent, path: string, headers: http.OutgoingHttpHeaders, body: Uint8Array) {
    return new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
      const req = http.request(`${server.url}${path}`, { method: "POST", agent, headers }, (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
      });
      req.on("error", reject);
      req.end(body);
    });
  }

  it("leaves the HTTP/1.1 keep-alive connection usable for the next request", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      // A gRPC-Web message of 200 KB, over the 4 KB limit: answered before it has all arrived.
      const oversized = frame(0, new Uint8Array(200_000));
      const grpcWeb = { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" };
      for (let i = 0; i < 5; i++) {
        const bad = await post(agent, "/grpc.health.v1.Health/Check", grpcWeb, oversized);
        expect(bad.status).toBe(200);
        const good = await post(agent, "/grpc.health.v1.Health/Check", grpcWeb, frame(0, new Uint8Array(0)));
        expect(good).toEqual({ status: 200, reused: true });
      }
    } finally {
      agent.destroy();
    }
  });
});

describe("header size", () => {
  it("HTTP/1.1 headers over AUTHD_MAX_HEADER_BYTES answer 431", async () => {
    const res = await fetch(`${server.url}/healthz`, { headers: { "x-padding": "p".repeat(6000) } });
    expect(res.status).toBe(431);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it("HTTP/2 headers over AUTHD_MAX_HEADER_BYTES are refused and the session keeps serving", async () => {
    const session = http2.connect(server.url);
    try {
      const outcome = await new Promise<string>((resolve) => {
        const stream = session.request({ ":path": "/healthz", "x-padding": "p".repeat(6000) });
        stream.on("response", (h) => resolve(`status ${h[":status"]}`));
        stream.on("error", (e: Error) => resolve(`error ${e.message}`));
        stream.on("close", () => resolve(`closed ${stream.rstCode}`));
        stream.end();
      });
      expect(outcome).not.toBe("status 200");
      const ok = await new Promise<number>((resolve, reject) => {
        const stream = session.request({ ":path": "/healthz" });
        stream.on("response", (h) => resolve(Number(h[":status"])));
        stream.on("error", reject);
        stream.resume();
        stream.end();
      });
      expect(ok).toBe(200);
    } finally {
      session.close();
    }
  });
});

describe("slow clients", () => {
  it("a connection that sends nothing is closed after the headers timeout", async () => {
    const { ms } = await closedAfter("");
    expect(ms).toBeGreaterThanOrEqual(350);
  });

  it("HTTP/1.1 headers that never finish are answered 408 and the connection closed", async () => {
    const { received } = await closedAfter("GET /healthz HTTP/1.1\r\nHost: x\r\n", "X-Slow: 1\r\n");
    expect(received).toMatch(/^HTTP\/1\.1 408/);
  });

  it("an HTTP/1.1 body that trickles in is cut off after the request timeout", async () => {
    const head =
      "POST /grpc.health.v1.Health/Check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n";
    const { ms } = await closedAfter(head, " ");
    expect(ms).toBeGreaterThanOrEqual(700);
  });

  it("an HTTP/2 request whose body trickles in is cut off after the request timeout", async () => {
    const session = http2.connect(server.url);
    try {
      const started = performance.now();
      const ended = await new Promise<string>((resolve) => {
        const stream = session.request({
          ":method": "POST",
          ":path": "/grpc.health.v1.Health/Check",
          "content-type": "application/grpc",
          te: "trailers",
        });
        const drip = setInterval(() => stream.write(Buffer.from([0])), 100);
        stream.on("close", () => {
          clearInterval(drip);
          resolve(`closed ${stream.rstCode}`);
        });
        stream.on("error", () => undefined);
        stream.resume();
        setTimeout(() => {
          clearInterval(drip);
          resolve("still open");
        }, 6000).unref();
      });
      expect(ended).toMatch(/^closed/);
      expect(performance.now() - started).toBeGreaterThanOrEqual(700);
    } finally {
      session.destroy();
    }
  });

  it("an idle HTTP/2 session is closed after the idle timeout", async () => {
    const session = http2.connect(server.url);
    session.on("error", () => undefined);
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      session.on("close", () => resolve());
      setTimeout(() => reject(new Error("the idle session stayed open")), 6000).unref();
    });
    expect(performance.now() - started).toBeGreaterThanOrEqual(700);
  });

  it("still serves after all of the above", async () => {
    const res = await server.client(Health, "grpc").check({});
    expect(res.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });
});
