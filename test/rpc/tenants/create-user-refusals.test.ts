// CreateUser with an administering role re-authenticates the administrator, and every refusal the
// request would get anyway comes before the password is checked: a weak initial password or an
// address the tenant already holds is answered as such, and costs the administrator no guess
// against their re-authentication limit (src/domain/administration/create-user.ts).
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../../gen/authd/v1/admin_pb.js";
import { AuthService } from "../../../gen/authd/v1/auth_pb.js";
import { expectCode } from "../../helpers/accounts.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import { bearer, createUser, PASSWORD } from "../../helpers/sessions.js";

describe("CreateUser's refusals come before the administrator's password", () => {
  let server: TestServer;
  const client = { ip: "127.0.0.1", rateLimitKey: "127.0.0.1", userAgent: "vitest" };
  let n = 0;

  beforeAll(async () => {
    // Three wrong passwords and re-authentication is refused for the window.
    server = await startTestServer({ AUTHD_LOGIN_MAX_FAILURES: "3" });
  });
  afterAll(async () => {
    await server?.close();
  });

  async function adminOfNewTenant() {
    n++;
    const tenant = await server.app.tenants.create({ slug: `refusals-${n}`, name: "R" }, null, client);
    const boss = await createUser(server, { tenantId: tenant.id, roles: ["admin"] });
    const res = await server
      .client(AuthService)
      .login({ identifier: boss.email, password: PASSWORD, tenant: tenant.slug });
    if (res.result.case !== "tokens") throw new Error("expected tokens");
    const admin = server.client(AdminService, "connect", bearer(res.result.value.accessToken));
    return { tenant, boss, admin };
  }

  it("a weak initial password for a new admin is refused by name, and no guess is counted", async () => {
    const { admin } = await adminOfNewTenant();
    const create = (currentPassword: string) =>
      admin.createUser({
        email: `weak-${n}@example.com`,
        roles: ["admin"],
        credential: { case: "initialPassword", value: "short" },
        currentPassword,
      });
    for (let i = 0; i < 4; i++)
      await expectCode(create(`guess ${i}`), Code.InvalidArgument, /^initial_password/);
    // The limit is untouched: the right password still re-authenticates.
    const made = await admin.createUser({
      email: `strong-${n}@example.com`,
      roles: ["admin"],
      credential: { case: "initialPassword", value: "a long and unusual initial passphrase" },
      currentPassword: PASSWORD,
    });
    expect(made.user?.roles).toEqual(["admin"]);
  });

  it("an address the tenant holds is answered already_exists, and no guess is counted", async () => {
    const { tenant, admin } = await adminOfNewTenant();
    const member = await createUser(server, { tenantId: tenant.id, roles: ["member"] });
    const create = (currentPassword: string) =>
      admin.createUser({
        email: member.email,
        roles: ["admin"],
        credential: { case: "sendInvitation", value: true },
        currentPassword,
      });
    for (let i = 0; i < 4; i++) await expectCode(create(`guess ${i}`), Code.AlreadyExists, /^email/);
    const made = await admin.createUser({
      email: `invited-${n}@example.com`,
      roles: ["admin"],
      credential: { case: "sendInvitation", value: true },
      currentPassword: PASSWORD,
    });
    expect(made.user?.roles).toEqual(["admin"]);
  });
});
