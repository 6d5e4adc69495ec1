// authd on PostgreSQL: the same migrations, the same server, the generated client.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus } from "../../../gen/grpc/health/v1/health_pb.js";
import { createTestDatabase } from "../../helpers/postgres.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let server: TestServer;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer({ AUTHD_DATABASE_URL: db.url });
});
afterAll(async () => {
  await server.close();
  await db.drop();
});

describe("authd on PostgreSQL", () => {
  it("runs its migrations and reports healthy", async () => {
    expect(server.db.dialect).toBe("postgres");
    const tables = await server.db.transaction((em) =>
      em.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"),
    );
    expect(tables.map((t: { table_name: string }) => t.table_name)).toEqual(
      expect.arrayContaining(["users", "audit_events", "migrations"]),
    );
    const res = await server.client(Health, "grpc").check({});
    expect(res.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });
});
