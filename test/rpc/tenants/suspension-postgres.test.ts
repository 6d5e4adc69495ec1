// A sign-in racing its tenant's suspension, where transactions really run side by side
// (PostgreSQL). Suspension marks the tenant and ends its users' sessions in one transaction; a
// sign-in that read the tenant as active before that committed must not leave a live session
// behind it.
import { Code, ConnectError } from "@connectrpc/connect";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AuthService } from "../../../gen/authd/v1/auth_pb.js";
import { ErrorInfoSchema, ErrorReason } from "../../../gen/authd/v1/common_pb.js";
import { SessionService } from "../../../gen/authd/v1/session_pb.js";
import { createTestDatabase } from "../../helpers/postgres.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import { bearer, createUser, PASSWORD, signIn } from "../../helpers/sessions.js";

describe("a sign-in racing its tenant's suspension on PostgreSQL", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: TestServer;
  const client = { ip: "127.0.0.1", rateLimitKey: "127.0.0.1", userAgent: "vitest" };

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer({ AUTHD_DATABASE_URL: db.url });
  });
  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  test("either is refused or ends up with its session ended: never a live session in a suspended tenant", async () => {
    const tenant = await server.app.tenants.create({ slug: "racing", name: "Racing" }, null, client);
    const user = await createUser(server, { tenantId: tenant.id });
    const auth = server.client(AuthService);

    // The suspension, held open between its two steps (what UpdateTenant does in one transaction):
    // the tenant is marked suspended and every session of its users ended, not yet committed.
    const suspension = new pg.Client({ connectionString: db.url });
    await suspension.connect();
    try {
      await suspension.query("BEGIN");
      await suspension.query("UPDATE tenants SET status = 'suspended' WHERE id = $1", [tenant.id]);
      await suspension.query(
        "UPDATE sessions SET revoked_at = $1, revoke_reason = 'tenant_suspended' WHERE revoked_at IS NULL AND user_id IN (SELECT id FROM users WHERE tenant_id = $2)",
        [Date.now(), tenant.id],
      );
      const signIn = auth.login({ tenant: tenant.slug, identifier: user.email, password: PASSWORD }).then(
        (answer) => ({ answer }),
        (error: unknown) => ({ error: ConnectError.from(error) }),
      );
      // Long enough for the sign-in to hash the password and reach its transaction.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await suspension.query("COMMIT");
      const outcome = await signIn;

      if ("error" in outcome) {
        expect(outcome.error.code).toBe(Code.FailedPrecondition);
        expect(outcome.error.findDetails(ErrorInfoSchema)[0]?.reason).toBe(ErrorReason.TENANT_SUSPENDED);
      } else {
        const tokens = outcome.answer.result.case === "tokens" ? outcome.answer.result.value : undefined;
        expect(tokens).toBeDefined();
        const sessions = server.client(SessionService, "connect", bearer(tokens?.accessToken ?? ""));
        const stillLive = await sessions.getSession({}).then(
          () => true,
          () => false,
        );
        expect(stillLive, "a session created beside the suspension outlived it").toBe(false);
      }
    } finally {
      await suspension.end();
    }
  });

  test("suspension ends every session of every account of the tenant, and only those", async () => {
    const tenant = await server.app.tenants.create({ slug: "suspended-all", name: "All" }, null, client);
    const users = [
      await createUser(server, { tenantId: tenant.id }),
      await createUser(server, { tenantId: tenant.id }),
    ];
    const sessions = [];
    for (const user of users) sessions.push(await signIn(server, user.id), await signIn(server, user.id));
    const bystander = await signIn(server, (await createUser(server, {})).id);

    await server.app.tenants.update(tenant.id, { status: "suspended" }, null, client);
    await server.app.tenants.update(tenant.id, { status: "active" }, null, client);

    const validate = (token: string) => server.client(SessionService).validateToken({ token });
    for (const session of sessions) expect((await validate(session.accessToken)).active).toBe(false);
    expect((await validate(bystander.accessToken)).active).toBe(true);
  });
});
