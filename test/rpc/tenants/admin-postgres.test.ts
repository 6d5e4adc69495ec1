// The last-admin rule where transactions really run side by side (PostgreSQL): concurrent
// demotions, disablings and deletions of a tenant's last two admins never leave it with none.
import { type Client, Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AdminService } from "../../../gen/authd/v1/admin_pb.js";
import { AuthService } from "../../../gen/authd/v1/auth_pb.js";
import { ErrorInfoSchema, ErrorReason, UserStatus } from "../../../gen/authd/v1/common_pb.js";
import { DEFAULT_TENANT_ID } from "../../../src/domain/tenants/records.js";
import { createTestDatabase } from "../../helpers/postgres.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import { bearer, createUser, PASSWORD } from "../../helpers/sessions.js";

/** "ok", or the code and reason of the failure; never Internal (a deadlock, a constraint). */
function outcome(answer: PromiseSettledResult<unknown>): string {
  if (answer.status === "fulfilled") return "ok";
  const error = ConnectError.from(answer.reason);
  expect(error.code).not.toBe(Code.Internal);
  const info = error.findDetails(ErrorInfoSchema)[0];
  return `${Code[error.code]}/${info ? ErrorReason[info.reason] : "none"}`;
}

describe("the last admin on PostgreSQL", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: TestServer;
  let admin: Client<typeof AdminService>;
  const client = { ip: "127.0.0.1", rateLimitKey: "127.0.0.1", userAgent: "vitest" };
  let n = 0;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer({ AUTHD_DATABASE_URL: db.url });
    const op = await createUser(server, { tenantId: DEFAULT_TENANT_ID, roles: ["operator"] });
    const res = await server.client(AuthService).login({ identifier: op.email, password: PASSWORD });
    if (res.result.case !== "tokens") throw new Error("expected tokens");
    admin = server.client(AdminService, "connect", bearer(res.result.value.accessToken));
  });
  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  async function tenantWithTwoAdmins() {
    const tenant = await server.app.tenants.create({ slug: `race-${++n}`, name: "Race" }, null, client);
    const a = await createUser(server, { tenantId: tenant.id, roles: ["admin"] });
    const b = await createUser(server, { tenantId: tenant.id, roles: ["admin"] });
    return { slug: tenant.slug, a: a.id, b: b.id };
  }

  const activeAdmins = async (slug: string) =>
    (
      await admin.listUsers({
        tenant: slug,
        role: "admin",
        status: UserStatus.ACTIVE,
      })
    ).users.length;

  test("of concurrent changes that each remove one of the last two admins, exactly one succeeds", async () => {
    const removals = [
      (slug: string, userId: string) =>
        admin.updateUser({
          tenant: slug,
          userId,
          replaceRoles: true,
          roles: ["member"],
          currentPassword: PASSWORD,
        }),
      (slug: string, userId: string) =>
        admin.updateUser({ tenant: slug, userId, status: UserStatus.DEACTIVATED }),
      (slug: string, userId: string) => admin.deleteUser({ tenant: slug, userId, currentPassword: PASSWORD }),
    ];
    for (let round = 0; round < 9; round++) {
      const { slug, a, b } = await tenantWithTwoAdmins();
      const first = removals[round % 3];
      const second = removals[Math.floor(round / 3) % 3];
      if (!first || !second) throw new Error("no removal");
      const answers = await Promise.allSettled([first(slug, a), second(slug, b)]);
      expect(answers.map(outcome).sort()).toEqual(["FailedPrecondition/LAST_ADMIN", "ok"]);
      expect(await activeAdmins(slug)).toBe(1);
    }
  });
});
