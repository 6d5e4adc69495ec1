// Tenants through a real server, on SQLite and PostgreSQL: operators manage tenants, everyone else
// is refused; a suspended tenant's users are refused at sign-in, refresh and validation, and their
// sessions end; access tokens carry the tenant and roles.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, expect, it } from "vitest";
import { AdminService } from "../../../gen/authd/v1/admin_pb.js";
import { AuthService } from "../../../gen/authd/v1/auth_pb.js";
import { ErrorInfoSchema, ErrorReason, TenantStatus } from "../../../gen/authd/v1/common_pb.js";
import { SessionService } from "../../../gen/authd/v1/session_pb.js";
import { DEFAULT_TENANT_ID } from "../../../src/domain/tenants/records.js";
import { forEachDatabase } from "../../helpers/databases.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import { bearer, createUser, PASSWORD, signIn } from "../../helpers/sessions.js";

async function codeOf(call: Promise<unknown>): Promise<Code | "ok"> {
  try {
    await call;
    return "ok";
  } catch (error) {
    return ConnectError.from(error).code;
  }
}

forEachDatabase("tenants", (database) => {
  let server: TestServer;
  let operatorToken: string;
  const admin = (token?: string) => server.client(AdminService, "connect", token ? bearer(token) : {});

  beforeAll(async () => {
    server = await startTestServer(await database.env());
    const operator = await createUser(server, { tenantId: DEFAULT_TENANT_ID, roles: ["admin", "operator"] });
    operatorToken = (await signIn(server, operator.id)).accessToken;
  });
  afterAll(async () => {
    await server.close();
  });

  it("an operator creates a tenant and reads it back by id and by slug", async () => {
    const { tenant } = await admin(operatorToken).createTenant({ slug: "acme-corp", name: " Acme Corp " });
    expect(tenant).toMatchObject({ slug: "acme-corp", name: "Acme Corp", status: TenantStatus.ACTIVE });
    const byId = await admin(operatorToken).getTenant({
      tenant: { case: "tenantId", value: tenant?.id ?? "" },
    });
    const bySlug = await admin(operatorToken).getTenant({ tenant: { case: "slug", value: "acme-corp" } });
    expect(byId.tenant?.id).toBe(tenant?.id);
    expect(bySlug.tenant?.id).toBe(tenant?.id);
    expect(
      await codeOf(admin(operatorToken).getTenant({ tenant: { case: "slug", value: "nope-nope" } })),
    ).toBe(Code.NotFound);
  });

  it("a taken slug answers already_exists; a bad or reserved slug answers invalid_argument naming slug", async () => {
    await admin(operatorToken).createTenant({ slug: "taken-slug", name: "One" });
    expect(await codeOf(admin(operatorToken).createTenant({ slug: "taken-slug", name: "Two" }))).toBe(
      Code.AlreadyExists,
    );
    for (const slug of ["ab", "Upper", "-dash", "dash-", "under_score", "x".repeat(64), "default", "admin"]) {
      const error = await admin(operatorToken)
        .createTenant({ slug, name: "Bad" })
        .catch((e: unknown) => ConnectError.from(e));
      expect(error).toBeInstanceOf(ConnectError);
      expect((error as ConnectError).code).toBe(Code.InvalidArgument);
      expect((error as ConnectError).rawMessage).toMatch(/^slug: /);
    }
    expect(await codeOf(admin(operatorToken).createTenant({ slug: "no-name", name: "  " }))).toBe(
      Code.InvalidArgument,
    );
  });

  it("lists every tenant exactly once across pages, the default one first", async () => {
    for (let i = 0; i < 3; i++)
      await admin(operatorToken).createTenant({ slug: `paged-${i}`, name: `P${i}` });
    const seen: string[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const page = await admin(operatorToken).listTenants({ pageSize: 2, pageToken });
      expect(page.tenants.length).toBeLessThanOrEqual(2);
      seen.push(...page.tenants.map((t) => t.slug));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken !== "" && pages < 20);
    expect(seen[0]).toBe("default");
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(
      expect.arrayContaining(["acme-corp", "taken-slug", "paged-0", "paged-1", "paged-2"]),
    );
    expect(await codeOf(admin(operatorToken).listTenants({ pageToken: "garbage" }))).toBe(
      Code.InvalidArgument,
    );
    expect(await codeOf(admin(operatorToken).listTenants({ pageSize: -1 }))).toBe(Code.InvalidArgument);
  });

  it("refuses the tenant RPCs to members, to other tenants' admins, and to API keys without the admin scope", async () => {
    const { tenant } = await admin(operatorToken).createTenant({ slug: "other-co", name: "Other" });
    const member = await createUser(server, { tenantId: DEFAULT_TENANT_ID, roles: ["member"] });
    const defaultAdmin = await createUser(server, { tenantId: DEFAULT_TENANT_ID, roles: ["admin"] });
    const otherAdmin = await createUser(server, { tenantId: tenant?.id, roles: ["admin", "operator"] });
    for (const user of [member, defaultAdmin, otherAdmin]) {
      const token = (await signIn(server, user.id)).accessToken;
      expect(await codeOf(admin(token).listTenants({}))).toBe(Code.PermissionDenied);
      expect(await codeOf(admin(token).createTenant({ slug: "sneaky-co", name: "S" }))).toBe(
        Code.PermissionDenied,
      );
      expect(
        await codeOf(
          admin(token).updateTenant({ tenantId: tenant?.id ?? "", status: TenantStatus.SUSPENDED }),
        ),
      ).toBe(Code.PermissionDenied);
    }
    expect(await codeOf(admin().listTenants({}))).toBe(Code.Unauthenticated);

    const sessions = server.client(SessionService, "connect", bearer(operatorToken));
    const narrow = await sessions.createApiKey({
      name: "narrow",
      scopes: ["profile:read"],
      currentPassword: PASSWORD,
    });
    expect(await codeOf(admin(narrow.secret).listTenants({}))).toBe(Code.PermissionDenied);
    const wide = await sessions.createApiKey({ name: "wide", scopes: ["admin"], currentPassword: PASSWORD });
    expect(await codeOf(admin(wide.secret).listTenants({}))).toBe("ok");
  });

  it("ValidateToken and GetCurrentUser give the tenant and the roles", async () => {
    const validated = await server.client(SessionService).validateToken({ token: operatorToken });
    expect(validated).toMatchObject({ active: true, tenantId: DEFAULT_TENANT_ID });
    expect([...validated.roles].sort()).toEqual(["admin", "operator"]);
    const { user } = await server.client(AuthService, "connect", bearer(operatorToken)).getCurrentUser({});
    expect(user?.tenantId).toBe(DEFAULT_TENANT_ID);
    expect([...(user?.roles ?? [])].sort()).toEqual(["admin", "operator"]);
  });

  it("suspending a tenant ends its users' sessions and refuses their sign-in, refresh and API keys until it is active again", async () => {
    const { tenant } = await admin(operatorToken).createTenant({ slug: "suspend-me", name: "Suspended" });
    const tenantId = tenant?.id ?? "";
    const user = await createUser(server, { tenantId, roles: ["member"] });
    const bystander = await createUser(server, { tenantId: DEFAULT_TENANT_ID });
    const tokens = await signIn(server, user.id);
    const colleague = await createUser(server, { tenantId, roles: ["member"] });
    const colleagueSessions = [await signIn(server, colleague.id), await signIn(server, colleague.id)];
    const bystanderTokens = await signIn(server, bystander.id);
    const key = await server
      .client(SessionService, "connect", bearer(tokens.accessToken))
      .createApiKey({ name: "k", scopes: ["profile:read"], currentPassword: PASSWORD });
    const auth = server.client(AuthService);
    const validate = (token: string) => server.client(SessionService).validateToken({ token });

    const { tenant: suspended } = await admin(operatorToken).updateTenant({
      tenantId,
      status: TenantStatus.SUSPENDED,
    });
    expect(suspended?.status).toBe(TenantStatus.SUSPENDED);

    expect((await validate(tokens.accessToken)).active).toBe(false);
    expect((await validate(key.secret)).active).toBe(false);
    expect(await codeOf(auth.refresh({ refreshToken: tokens.refreshToken }))).toBe(Code.Unauthenticated);
    const refused = await auth
      .login({ identifier: user.email, password: PASSWORD, tenant: "suspend-me" })
      .catch((e: unknown) => e);
    expect(ConnectError.from(refused).code).toBe(Code.FailedPrecondition);
    const [info] = ConnectError.from(refused).findDetails(ErrorInfoSchema);
    expect(info?.reason).toBe(ErrorReason.TENANT_SUSPENDED);
    // Other tenants are untouched.
    expect((await validate(bystanderTokens.accessToken)).active).toBe(true);

    await admin(operatorToken).updateTenant({ tenantId, status: TenantStatus.ACTIVE, name: "Back" });
    const login = await auth.login({ identifier: user.email, password: PASSWORD, tenant: "suspend-me" });
    expect(login.result.case).toBe("tokens");
    expect((await validate(key.secret)).active).toBe(true);
    // The ended sessions stay ended: every session of every account of the tenant.
    expect((await validate(tokens.accessToken)).active).toBe(false);
    for (const session of colleagueSessions) {
      expect((await validate(session.accessToken)).active).toBe(false);
      expect(await codeOf(auth.refresh({ refreshToken: session.refreshToken }))).toBe(Code.Unauthenticated);
    }
    expect((await validate(bystanderTokens.accessToken)).active).toBe(true);
  });

  it("the default tenant cannot be suspended", async () => {
    expect(
      await codeOf(
        admin(operatorToken).updateTenant({ tenantId: DEFAULT_TENANT_ID, status: TenantStatus.SUSPENDED }),
      ),
    ).toBe(Code.FailedPrecondition);
  });
});
