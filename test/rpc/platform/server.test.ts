import http2 from "node:http2";
import { Code, ConnectError, cors } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthService } from "../../../gen/authd/v1/auth_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "../../../gen/grpc/health/v1/health_pb.js";
import { protocols, startTestServer, type TestServer } from "../../helpers/server.js";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ AUTHD_CORS_ORIGINS: "https://app.example" });
});
afterAll(() => server.close());

describe("one port, three protocols", () => {
  it.each(protocols)("answers the gRPC health check over %s", async (protocol) => {
    const health = server.client(Health, protocol);
    const res = await health.check({ service: "" });
    expect(res.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });

  it.each(protocols)(
    "answers NotFound for a health check of an unknown service over %s",
    async (protocol) => {
      const health = server.client(Health, protocol);
      const err = await health.check({ service: "nope.Service" }).catch((e: unknown) => e);
      expect(ConnectError.from(err).code).toBe(Code.NotFound);
    },
  );

  it("serves /healthz over plain HTTP/1.1", async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("serves /healthz over HTTP/2 as well", async () => {
    const session = http2.connect(server.url);
    const body = await new Promise<string>((resolve, reject) => {
      const stream = session.request({ ":path": "/healthz" });
      let data = "";
      stream.on("data", (chunk) => {
        data += chunk;
      });
      stream.on("end", () => resolve(data));
      stream.on("error", reject);
    });
    session.close();
    expect(JSON.parse(body)).toEqual({ status: "ok" });
  });

  it("serves the JWKS document as JSON", async () => {
    const res = await fetch(`${server.url}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(Array.isArray(((await res.json()) as { keys: unknown }).keys)).toBe(true);
  });
});

describe("bad requests get proper errors and the server keeps serving", () => {
  it("answers an unknown RPC with 404 / Unimplemented", async () => {
    const res = await fetch(`${server.url}/authd.v1.AuthService/NoSuchMethod`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(404);
  });

  it("answers an unknown RPC over gRPC with Unimplemented", async () => {
    const session = http2.connect(server.url);
    const status = await new Promise<string | undefined>((resolve, reject) => {
      const stream = session.request({
        ":method": "POST",
        ":path": "/authd.v1.AuthService/NoSuchMethod",
        "content-type": "application/grpc",
        te: "trailers",
      });
      let headerStatus: string | undefined;
      stream.on("response", (headers) => {
        headerStatus = headers["grpc-status"] as string | undefined;
      });
      stream.on("trailers", (trailers) => resolve((trailers["grpc-status"] as string) ?? headerStatus));
      stream.on("end", () => resolve(headerStatus));
      stream.on("error", reject);
      stream.end(Buffer.from([0, 0, 0, 0, 0]));
    });
    session.close();
    expect(status).toBe(String(Code.Unimplemented));
  });

  it("answers a malformed JSON body with invalid_argument", async () => {
    const res = await fetch(`${server.url}/grpc.health.v1.Health/Check`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe("invalid_argument");
  });

  it("answers a wrong content type with 415", async () => {
    const res = await fetch(`${server.url}/grpc.health.v1.Health/Check`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "hello",
    });
    expect(res.status).toBe(415);
  });

  it("answers a method the service does not have with Unimplemented", async () => {
    const res = await fetch(`${server.url}/authd.v1.AdminService/NoSuchMethod`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(await res.json()).toMatchObject({ code: "unimplemented" });
  });

  it("still serves after all of the above", async () => {
    const res = await server.client(Health, "grpc").check({});
    expect(res.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect(AuthService.typeName).toBe("authd.v1.AuthService");
  });
});

describe("CORS", () => {
  it("answers a preflight from an allowed origin with the headers gRPC-Web and Connect need", async () => {
    const res = await fetch(`${server.url}/authd.v1.AuthService/Login`, {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type,x-grpc-web",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(res.headers.get("access-control-allow-headers")).toMatch(/X-Grpc-Web/i);
  });

  it("allows what @connectrpc/connect lists for its protocols, and authd's own credential and request-id headers", async () => {
    const res = await fetch(`${server.url}/authd.v1.SessionService/ValidateToken`, {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "POST" },
    });
    expect(res.status).toBe(204);
    const list = (name: string) =>
      (res.headers.get(name) ?? "").split(",").map((item) => item.trim().toLowerCase());
    const lower = (items: readonly string[]) => items.map((item) => item.toLowerCase());
    expect(list("access-control-allow-headers")).toEqual(
      expect.arrayContaining(lower([...cors.allowedHeaders, "Authorization", "X-Api-Key", "X-Request-Id"])),
    );
    expect(list("access-control-allow-methods")).toEqual(expect.arrayContaining(lower(cors.allowedMethods)));
    expect(list("access-control-expose-headers")).toEqual(
      expect.arrayContaining(lower([...cors.exposedHeaders, "Retry-After", "X-Request-Id"])),
    );
    expect(res.headers.get("access-control-allow-credentials")).toBe("true");
  });

  it("refuses a preflight from an origin that is not configured", async () => {
    const res = await fetch(`${server.url}/authd.v1.AuthService/Login`, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("exposes grpc-status to an allowed origin on actual responses", async () => {
    const res = await fetch(`${server.url}/healthz`, { headers: { origin: "https://app.example" } });
    expect(res.headers.get("access-control-expose-headers")).toMatch(/Grpc-Status/);
  });
});

describe("CORS with AUTHD_CORS_ORIGINS=*", () => {
  let open: TestServer;
  beforeAll(async () => {
    open = await startTestServer({ AUTHD_CORS_ORIGINS: "*, https://app.example/" });
  });
  afterAll(() => open.close());

  const preflight = (origin: string) =>
    fetch(`${open.url}/authd.v1.AuthService/Login`, {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST" },
    });

  it("lets any origin call without credentials: Allow-Origin * and no Allow-Credentials", async () => {
    const res = await preflight("https://anyone.example");
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    const actual = await fetch(`${open.url}/healthz`, { headers: { origin: "https://anyone.example" } });
    expect(actual.headers.get("access-control-allow-origin")).toBe("*");
    expect(actual.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("still reflects a listed origin with credentials (trailing slash in the setting or not)", async () => {
    const res = await preflight("https://app.example");
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(res.headers.get("access-control-allow-credentials")).toBe("true");
    expect(res.headers.get("vary")).toMatch(/Origin/);
  });
});
