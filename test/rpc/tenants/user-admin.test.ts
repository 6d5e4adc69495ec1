// A tenant administrator manages the tenant's accounts through a real server, on SQLite and
// PostgreSQL: ListUsers, GetUser, CreateUser (invitation or initial password), UpdateUser,
// SetUserPassword, DeleteUser; every change audited; the last admin kept.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, expect, it } from "vitest";
import { AdminService } from "../../../gen/authd/v1/admin_pb.js";
import { AuthService } from "../../../gen/authd/v1/auth_pb.js";
import { ErrorInfoSchema, ErrorReason, UserStatus } from "../../../gen/authd/v1/common_pb.js";
import { SessionService } from "../../../gen/authd/v1/session_pb.js";
import { DEFAULT_TENANT_ID } from "../../../src/domain/tenants/records.js";
import { type AccountsHarness, expectCode, startAccountsHarness, tokenFrom } from "../../helpers/accounts.js";
import { forEachDatabase } from "../../helpers/databases.js";
import { bearer, createUser, PASSWORD, type TestUser } from "../../helpers/sessions.js";

const NEW_PASSWORD = "a different passphrase entirely";

async function reasonOf(call: Promise<unknown>): Promise<string> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );
  if (!error) throw new Error("the call should have failed");
  const info = error.findDetails(ErrorInfoSchema)[0];
  return `${Code[error.code]}/${info ? ErrorReason[info.reason] : "none"}`;
}

forEachDatabase("tenant user administration", (database) => {
  let h: AccountsHarness;
  let acmeId = "";
  const tokens: Record<string, string> = {};
  const users: Record<string, TestUser> = {};
  const admin = (who: string) => h.server.client(AdminService, "connect", bearer(tokens[who] ?? ""));
  const client = { ip: "127.0.0.1", rateLimitKey: "127.0.0.1", userAgent: "vitest" };

  /** Signs in to `tenant` (acme unless named: most users here are acme's). */
  async function login(email: string, password = PASSWORD, tenant = "acme"): Promise<string> {
    const res = await h.auth.login({ identifier: email, password, tenant });
    if (res.result.case !== "tokens") throw new Error(`expected tokens, got ${res.result.case}`);
    return res.result.value.accessToken;
  }
  const isActive = async (token: string) =>
    (await h.server.client(SessionService).validateToken({ token })).active;

  beforeAll(async () => {
    h = await startAccountsHarness(await database.env());
    acmeId = (await h.server.app.tenants.create({ slug: "acme", name: "Acme" }, null, client)).id;
    await h.server.app.tenants.create({ slug: "globex", name: "Globex" }, null, client);
    users.operator = await createUser(h.server, { tenantId: DEFAULT_TENANT_ID, roles: ["operator"] });
    users.defaultAdmin = await createUser(h.server, { tenantId: DEFAULT_TENANT_ID, roles: ["admin"] });
    users.acmeAdmin = await createUser(h.server, { tenantId: acmeId, roles: ["admin"] });
    users.acmeMember = await createUser(h.server, { tenantId: acmeId, roles: ["member"] });
    for (const [name, user] of Object.entries(users)) {
      const tenant = name === "operator" || name === "defaultAdmin" ? "" : "acme";
      tokens[name] = await login(user.email, PASSWORD, tenant);
    }
  });
  afterAll(async () => {
    await h.close();
  });

  it("creates a user with an invitation whose link sets the password and verifies the address", async () => {
    const email = `invited-${database.kind}@example.com`;
    const { user } = await admin("acmeAdmin").createUser({
      email,
      firstName: "Ina",
      credential: { case: "sendInvitation", value: true },
    });
    expect(user?.tenantId).toBe(acmeId);
    expect(user?.roles).toEqual(["member"]);
    expect(user?.emailVerified).toBe(false);
    // No password yet: nothing signs in.
    await expectCode(
      h.auth.login({ identifier: email, password: PASSWORD, tenant: "acme" }),
      Code.Unauthenticated,
    );
    const mail = await h.mailTo(email, /invited/i);
    expect(mail.text).toMatch(/\/reset-password\?token=/);
    await h.auth.resetPassword({ token: tokenFrom(mail), newPassword: NEW_PASSWORD });
    await login(email, NEW_PASSWORD);
    const got = await admin("acmeAdmin").getUser({ userId: user?.id ?? "" });
    expect(got.user?.emailVerified).toBe(true);
    const { events } = await admin("acmeAdmin").listAuditEvents({
      userId: user?.id ?? "",
      eventType: "user.created",
    });
    expect(JSON.parse(events[0]?.detailJson ?? "{}")).toMatchObject({
      byAdmin: users.acmeAdmin?.id,
      credential: "invitation",
    });
  });

  it("an initial password cannot sign in until the owner sets their own by the reset link", async () => {
    const email = `initial-${database.kind}@example.com`;
    const create = (password: string) =>
      admin("acmeAdmin").createUser({ email, credential: { case: "initialPassword", value: password } });
    expect(await reasonOf(create("password"))).toBe("InvalidArgument/PASSWORD_TOO_COMMON");
    await expectCode(create("short"), Code.InvalidArgument, /initial_password/);
    await create(PASSWORD);
    expect(await reasonOf(h.auth.login({ identifier: email, password: PASSWORD, tenant: "acme" }))).toBe(
      "FailedPrecondition/PASSWORD_CHANGE_REQUIRED",
    );
    // A wrong password still answers like any wrong password.
    expect(await reasonOf(h.auth.login({ identifier: email, password: NEW_PASSWORD, tenant: "acme" }))).toBe(
      "Unauthenticated/INVALID_CREDENTIALS",
    );
    await h.auth.requestPasswordReset({ email, tenant: "acme" });
    await h.auth.resetPassword({
      token: tokenFrom(await h.mailTo(email, /reset/i)),
      newPassword: NEW_PASSWORD,
    });
    await login(email, NEW_PASSWORD);
  });

  it("refuses a taken email, a missing credential and roles the tenant cannot hold, naming the field", async () => {
    const invite = { case: "sendInvitation" as const, value: true };
    await expectCode(
      admin("acmeAdmin").createUser({ email: users.acmeMember?.email ?? "", credential: invite }),
      Code.AlreadyExists,
    );
    // The same address in another tenant is another account.
    await admin("operator").createUser({
      tenant: "globex",
      email: users.acmeMember?.email ?? "",
      credential: invite,
    });
    await expectCode(
      admin("acmeAdmin").createUser({ email: "nocred@example.com" }),
      Code.InvalidArgument,
      /credential/,
    );
    await expectCode(
      admin("acmeAdmin").createUser({ email: "r@example.com", roles: ["wizard"], credential: invite }),
      Code.InvalidArgument,
      /roles/,
    );
    await expectCode(
      admin("operator").createUser({
        tenant: "acme",
        email: "op@example.com",
        roles: ["operator"],
        credential: invite,
      }),
      Code.InvalidArgument,
      /roles/,
    );
    await expectCode(
      admin("acmeAdmin").createUser({ email: "not an email", credential: invite }),
      Code.InvalidArgument,
      /email/,
    );
  });

  it("lists the tenant's users oldest first, each once across pages, filtered by email prefix, status and role", async () => {
    const tenant = await h.server.app.tenants.create(
      { slug: `paged-${database.kind}`, name: "Paged" },
      null,
      client,
    );
    const boss = await createUser(h.server, { tenantId: tenant.id, roles: ["admin"] });
    const ids = [boss.id];
    for (let i = 0; i < 5; i++) {
      h.server.clock.advance(1000);
      const { user } = await admin("operator").createUser({
        tenant: tenant.slug,
        email: `${i % 2 ? "odd" : "even"}-${i}@example.com`,
        credential: { case: "sendInvitation", value: true },
      });
      ids.push(user?.id ?? "");
    }
    const seen: string[] = [];
    let pageToken = "";
    do {
      const page = await admin("operator").listUsers({ tenant: tenant.slug, pageSize: 2, pageToken });
      expect(page.users.length).toBeLessThanOrEqual(2);
      seen.push(...page.users.map((u) => u.id));
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    expect(seen).toEqual(ids);

    const emails = async (filter: { emailPrefix?: string; role?: string; status?: UserStatus }) =>
      (await admin("operator").listUsers({ tenant: tenant.slug, ...filter })).users.map((u) => u.email);
    expect(await emails({ emailPrefix: "ODD-" })).toEqual(["odd-1@example.com", "odd-3@example.com"]);
    expect(await emails({ emailPrefix: "%" })).toEqual([]);
    expect(await emails({ role: "admin" })).toEqual([boss.email]);
    await admin("operator").updateUser({
      tenant: tenant.slug,
      userId: ids[1] ?? "",
      status: UserStatus.DEACTIVATED,
    });
    expect(await emails({ status: UserStatus.DEACTIVATED })).toEqual(["even-0@example.com"]);

    const first = await admin("operator").listUsers({ tenant: tenant.slug, pageSize: 1, emailPrefix: "odd" });
    await expectCode(
      admin("operator").listUsers({ tenant: tenant.slug, pageToken: first.nextPageToken }),
      Code.InvalidArgument,
      /page_token/,
    );
    await expectCode(
      admin("operator").listUsers({ pageToken: "garbage" }),
      Code.InvalidArgument,
      /page_token/,
    );
    // An admin sees only its own tenant.
    const acme = (await admin("acmeAdmin").listUsers({ pageSize: 100 })).users;
    expect(acme.length).toBeGreaterThan(0);
    expect(acme.every((u) => u.tenantId === acmeId)).toBe(true);
  });

  it("updates profile fields; a role change ends the user's sessions so new tokens carry the new roles", async () => {
    const target = await createUser(h.server, { tenantId: acmeId, roles: ["member"] });
    const token = await login(target.email);
    const { user } = await admin("acmeAdmin").updateUser({
      userId: target.id,
      firstName: "Grace",
      username: `grace-${database.kind}`,
      mobile: "+61491570006",
      timezone: "Europe/Paris",
    });
    expect(user).toMatchObject({
      firstName: "Grace",
      username: `grace-${database.kind}`,
      mobile: "+61491570006",
      mobileVerified: false,
    });
    expect(await isActive(token)).toBe(true);
    await expectCode(
      admin("acmeAdmin").updateUser({ userId: target.id, timezone: "Mars/Olympus" }),
      Code.InvalidArgument,
      /timezone/,
    );
    await expectCode(
      admin("acmeAdmin").updateUser({
        userId: target.id,
        replaceRoles: true,
        roles: ["nope"],
        currentPassword: PASSWORD,
      }),
      Code.InvalidArgument,
      /roles/,
    );
    const promoted = await admin("acmeAdmin").updateUser({
      userId: target.id,
      replaceRoles: true,
      roles: ["admin", "member"],
      currentPassword: PASSWORD,
    });
    expect(promoted.user?.roles).toEqual(["admin", "member"]);
    expect(await isActive(token)).toBe(false);
    const fresh = await h.server
      .client(AuthService, "connect", bearer(await login(target.email)))
      .getCurrentUser({});
    expect(fresh.user?.roles).toEqual(["admin", "member"]);
  });

  it("disabling a user ends its sessions and revokes its API keys; it cannot sign in until enabled", async () => {
    const target = await createUser(h.server, { tenantId: acmeId, roles: ["member"] });
    const token = await login(target.email);
    const key = await h.server
      .client(SessionService, "connect", bearer(token))
      .createApiKey({ name: "k", scopes: ["sessions:read"], currentPassword: PASSWORD });
    await admin("acmeAdmin").updateUser({ userId: target.id, status: UserStatus.DEACTIVATED });
    expect(await isActive(token)).toBe(false);
    expect(await isActive(key.secret)).toBe(false);
    expect(
      await reasonOf(h.auth.login({ identifier: target.email, password: PASSWORD, tenant: "acme" })),
    ).toBe("FailedPrecondition/ACCOUNT_DEACTIVATED");
    await admin("acmeAdmin").updateUser({ userId: target.id, status: UserStatus.ACTIVE });
    await login(target.email);
    const { events } = await admin("acmeAdmin").listAuditEvents({
      userId: target.id,
      eventType: "user.updated",
    });
    expect(events.map((e) => JSON.parse(e.detailJson).status)).toEqual(["active", "deactivated"]);
  });

  it("sets a user's password: policy-checked, ends its sessions, tells the user; require_change refuses it at sign-in", async () => {
    const target = await createUser(h.server, { tenantId: acmeId, roles: ["member"] });
    const token = await login(target.email);
    expect(
      await reasonOf(
        admin("acmeAdmin").setUserPassword({
          userId: target.id,
          newPassword: "password1",
          currentPassword: PASSWORD,
        }),
      ),
    ).toBe("InvalidArgument/PASSWORD_TOO_COMMON");
    const { revokedSessions } = await admin("acmeAdmin").setUserPassword({
      userId: target.id,
      newPassword: NEW_PASSWORD,
      currentPassword: PASSWORD,
    });
    expect(revokedSessions).toBe(1);
    expect(await isActive(token)).toBe(false);
    expect((await h.mailTo(target.email, /administrator set your password/i)).text).not.toContain(
      NEW_PASSWORD,
    );
    await login(target.email, NEW_PASSWORD);
    await admin("acmeAdmin").setUserPassword({
      userId: target.id,
      newPassword: PASSWORD,
      requireChange: true,
      currentPassword: PASSWORD,
    });
    expect(
      await reasonOf(h.auth.login({ identifier: target.email, password: PASSWORD, tenant: "acme" })),
    ).toBe("FailedPrecondition/PASSWORD_CHANGE_REQUIRED");
  });

  it("deletes a user as self-deletion does: erased, sessions ended, audited; not itself", async () => {
    const target = await createUser(h.server, { tenantId: acmeId, roles: ["member"] });
    const token = await login(target.email);
    await admin("acmeAdmin").deleteUser({ userId: target.id, currentPassword: PASSWORD });
    expect(await isActive(token)).toBe(false);
    await expectCode(admin("acmeAdmin").getUser({ userId: target.id }), Code.NotFound);
    await expectCode(
      h.auth.login({ identifier: target.email, password: PASSWORD, tenant: "acme" }),
      Code.Unauthenticated,
    );
    const { events } = await admin("acmeAdmin").listAuditEvents({ eventType: "user.deleted" });
    expect(events.some((e) => e.userId === target.id)).toBe(false);
    const all = await h.server.db.read((em) =>
      em.query(`SELECT user_id FROM audit_events WHERE type = 'user.deleted'`),
    );
    expect(all.map((r: { user_id: string }) => r.user_id)).toContain(target.id);
    await expectCode(
      admin("acmeAdmin").deleteUser({ userId: users.acmeAdmin?.id ?? "", currentPassword: PASSWORD }),
      Code.FailedPrecondition,
    );
  });

  it("the last admin cannot be demoted, disabled or deleted; with another admin it can", async () => {
    const tenant = await h.server.app.tenants.create(
      { slug: `last-${database.kind}`, name: "Last" },
      null,
      client,
    );
    const only = await createUser(h.server, { tenantId: tenant.id, roles: ["admin"] });
    const op = admin("operator");
    const t = tenant.slug;
    expect(
      await reasonOf(
        op.updateUser({
          tenant: t,
          userId: only.id,
          replaceRoles: true,
          roles: ["member"],
          currentPassword: PASSWORD,
        }),
      ),
    ).toBe("FailedPrecondition/LAST_ADMIN");
    expect(
      await reasonOf(op.updateUser({ tenant: t, userId: only.id, status: UserStatus.DEACTIVATED })),
    ).toBe("FailedPrecondition/LAST_ADMIN");
    expect(await reasonOf(op.deleteUser({ tenant: t, userId: only.id, currentPassword: PASSWORD }))).toBe(
      "FailedPrecondition/LAST_ADMIN",
    );
    // A disabled admin does not count as one.
    const dormant = await createUser(h.server, { tenantId: tenant.id, roles: ["admin"] });
    await op.updateUser({ tenant: t, userId: dormant.id, status: UserStatus.DEACTIVATED });
    expect(await reasonOf(op.deleteUser({ tenant: t, userId: only.id, currentPassword: PASSWORD }))).toBe(
      "FailedPrecondition/LAST_ADMIN",
    );
    await op.updateUser({ tenant: t, userId: dormant.id, status: UserStatus.ACTIVE });
    await op.updateUser({
      tenant: t,
      userId: only.id,
      replaceRoles: true,
      roles: ["member"],
      currentPassword: PASSWORD,
    });
    const admins = (await op.listUsers({ tenant: t, role: "admin" })).users.map((u) => u.id);
    expect(admins).toEqual([dormant.id]);
  });

  it("only an operator grants or removes the operator role or manages an operator's account", async () => {
    const target = await createUser(h.server, { tenantId: DEFAULT_TENANT_ID, roles: ["member"] });
    await expectCode(
      admin("defaultAdmin").updateUser({
        userId: target.id,
        replaceRoles: true,
        roles: ["operator"],
        currentPassword: PASSWORD,
      }),
      Code.PermissionDenied,
    );
    const operatorId = users.operator?.id ?? "";
    await expectCode(
      admin("defaultAdmin").setUserPassword({
        userId: operatorId,
        newPassword: NEW_PASSWORD,
        currentPassword: PASSWORD,
      }),
      Code.PermissionDenied,
    );
    await expectCode(
      admin("defaultAdmin").deleteUser({ userId: operatorId, currentPassword: PASSWORD }),
      Code.PermissionDenied,
    );
    await expectCode(
      admin("defaultAdmin").updateUser({ userId: operatorId, status: UserStatus.DEACTIVATED }),
      Code.PermissionDenied,
    );
    await admin("operator").updateUser({
      userId: target.id,
      replaceRoles: true,
      roles: ["operator"],
      currentPassword: PASSWORD,
    });
    expect(await isActive(tokens.operator ?? "")).toBe(true);
  });

  it("refuses every user RPC to members and to admins naming another tenant", async () => {
    const id = users.acmeMember?.id ?? "";
    const calls = (c: ReturnType<typeof admin>, tenant: string) => [
      () => c.listUsers({ tenant }),
      () => c.getUser({ tenant, userId: id }),
      () =>
        c.createUser({ tenant, email: "x@example.com", credential: { case: "sendInvitation", value: true } }),
      () => c.updateUser({ tenant, userId: id, firstName: "x" }),
      () => c.setUserPassword({ tenant, userId: id, newPassword: NEW_PASSWORD, currentPassword: PASSWORD }),
      () => c.deleteUser({ tenant, userId: id, currentPassword: PASSWORD }),
    ];
    for (const call of [...calls(admin("acmeMember"), ""), ...calls(admin("acmeAdmin"), "globex")]) {
      await expectCode(call(), Code.PermissionDenied);
    }
    const unchanged = await admin("acmeAdmin").getUser({ userId: id });
    expect(unchanged.user?.firstName).toBe("");
  });
});
