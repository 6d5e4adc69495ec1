import http from "node:http";
import { describe, expect, it } from "vitest";
import { startTestServer } from "../../helpers/server.js";

describe("graceful shutdown", () => {
  it("lets a request in flight finish, then closes the database", async () => {
    const server = await startTestServer();
    const { port } = new URL(server.url);
    const body = JSON.stringify({ service: "" });
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        {
          host: "127.0.0.1",
          port,
          method: "POST",
          path: "/grpc.health.v1.Health/Check",
          headers: { "content-type": "application/json", "content-length": body.length },
        },
        (res) => {
          let data = "";
          res.on("data", (chunk) => {
            data += chunk;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: data }));
        },
      );
      req.on("error", reject);
      // Half the body now, the rest after shutdown has begun: the request is in flight.
      req.write(body.slice(0, 5));
      setTimeout(() => req.end(body.slice(5)), 100);
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    const closed = server.close();
    const answer = await response;
    await closed;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ status: "SERVING" });
    expect(server.db.store.dataSource.isInitialized).toBe(false);
  });
});
