// A tenant administrator's view of the tenant's users through a real server, on SQLite and
// PostgreSQL: their sessions and the tenant's audit trail. Nothing crosses tenants: another
// tenant's user answers not_found, another tenant's events never show, and only admins (of that
// tenant) and operators are let in.
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, expect, it } from "vitest";
import { AdminService } from "../../../gen/authd/v1/admin_pb.js";
import { AuthService } from "../../../gen/authd/v1/auth_pb.js";
import { SessionService } from "../../../gen/authd/v1/session_pb.js";
import { DEFAULT_TENANT_ID } from "../../../src/domain/tenants/records.js";
import { forEachDatabase } from "../../helpers/databases.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import { bearer, createUser, PASSWORD, type TestUser } from "../../helpers/sessions.js";

async function codeOf(call: Promise<unknown>): Promise<Code | "ok"> {
  try {
    await call;
    return "ok";
  } catch (error) {
    return ConnectError.from(error).code;
  }
}

forEachDatabase("tenant admins", (database) => {
  let server: TestServer;
  const tokens: Record<string, string> = {};
  const users: Record<string, TestUser> = {};
  const admin = (who: string) => server.client(AdminService, "connect", bearer(tokens[who] ?? ""));

  /** The slug each user signs in with (accounts are looked up in the tenant named). */
  const slugs: Record<string, string> = {
    operator: "",
    acmeAdmin: "acme",
    acmeMember: "acme",
    globexAdmin: "globex",
    globexMember: "globex",
  };

  async function login(user: TestUser, tenant: string): Promise<string> {
    const res = await server
      .client(AuthService)
      .login({ identifier: user.email, password: PASSWORD, tenant });
    if (res.result.case !== "tokens") throw new Error("expected tokens");
    return res.result.value.accessToken;
  }

  beforeAll(async () => {
    server = await startTestServer(await database.env());
    const client = { ip: "127.0.0.1", rateLimitKey: "127.0.0.1", userAgent: "vitest" };
    const acme = await server.app.tenants.create({ slug: "acme", name: "Acme" }, null, client);
    const globex = await server.app.tenants.create({ slug: "globex", name: "Globex" }, null, client);
    users.operator = await createUser(server, { tenantId: DEFAULT_TENANT_ID, roles: ["admin", "operator"] });
    users.acmeAdmin = await createUser(server, { tenantId: acme.id, roles: ["admin"] });
    users.acmeMember = await createUser(server, { tenantId: acme.id, roles: ["member"] });
    users.globexAdmin = await createUser(server, { tenantId: globex.id, roles: ["admin"] });
    users.globexMember = await createUser(server, { tenantId: globex.id, roles: ["member"] });
    for (const [name, user] of Object.entries(users)) tokens[name] = await login(user, slugs[name] ?? "");
  });
  afterAll(async () => {
    await server.close();
  });

  it("an admin lists a user's sessions and ends them all; the user's tokens stop working at once", async () => {
    const memberId = users.acmeMember?.id ?? "";
    const { sessions } = await admin("acmeAdmin").listUserSessions({ userId: memberId });
    expect(sessions).toHaveLength(1);
    expect(sessions[0]?.current).toBe(false);
    const { revokedSessions } = await admin("acmeAdmin").revokeUserSessions({ userId: memberId });
    expect(revokedSessions).toBe(1);
    const validated = await server.client(SessionService).validateToken({ token: tokens.acmeMember ?? "" });
    expect(validated.active).toBe(false);
    expect((await admin("acmeAdmin").listUserSessions({ userId: memberId })).sessions).toHaveLength(0);
    tokens.acmeMember = await login(users.acmeMember as TestUser, "acme");
  });

  it("answers not_found for another tenant's user, exactly as for one that does not exist", async () => {
    for (const userId of [
      users.globexMember?.id ?? "",
      users.operator?.id ?? "",
      "00000000-0000-4000-8000-00000000dead",
    ]) {
      expect(await codeOf(admin("acmeAdmin").listUserSessions({ userId }))).toBe(Code.NotFound);
      expect(await codeOf(admin("acmeAdmin").revokeUserSessions({ userId }))).toBe(Code.NotFound);
    }
    // The other tenant's user kept their session.
    const validated = await server.client(SessionService).validateToken({ token: tokens.globexMember ?? "" });
    expect(validated.active).toBe(true);
  });

  it("refuses members, admins naming another tenant, and API keys without the admin scope", async () => {
    const memberId = users.acmeMember?.id ?? "";
    expect(await codeOf(admin("acmeMember").listUserSessions({ userId: memberId }))).toBe(
      Code.PermissionDenied,
    );
    expect(await codeOf(admin("acmeMember").listAuditEvents({}))).toBe(Code.PermissionDenied);
    expect(await codeOf(admin("acmeAdmin").listAuditEvents({ tenant: "globex" }))).toBe(
      Code.PermissionDenied,
    );
    // Naming its own tenant is fine; naming an unknown one says no more than naming another.
    expect(await codeOf(admin("acmeAdmin").listAuditEvents({ tenant: "acme" }))).toBe("ok");
    expect(await codeOf(admin("acmeAdmin").listAuditEvents({ tenant: "no-such-co" }))).toBe(
      Code.PermissionDenied,
    );
    expect(await codeOf(server.client(AdminService).listAuditEvents({}))).toBe(Code.Unauthenticated);

    const keys = server.client(SessionService, "connect", bearer(tokens.acmeAdmin ?? ""));
    const narrow = await keys.createApiKey({
      name: "narrow",
      scopes: ["sessions:read"],
      currentPassword: PASSWORD,
    });
    const wide = await keys.createApiKey({ name: "wide", scopes: ["admin"], currentPassword: PASSWORD });
    const withKey = (secret: string) => server.client(AdminService, "connect", bearer(secret));
    expect(await codeOf(withKey(narrow.secret).listUserSessions({ userId: memberId }))).toBe(
      Code.PermissionDenied,
    );
    expect(await codeOf(withKey(wide.secret).listUserSessions({ userId: memberId }))).toBe("ok");
  });

  it("an operator acts on any tenant it names", async () => {
    const globexMember = users.globexMember?.id ?? "";
    expect(await codeOf(admin("operator").listUserSessions({ userId: globexMember }))).toBe(Code.NotFound);
    const { sessions } = await admin("operator").listUserSessions({ tenant: "globex", userId: globexMember });
    expect(sessions).toHaveLength(1);
    expect(await codeOf(admin("operator").listAuditEvents({ tenant: "no-such-co" }))).toBe(Code.NotFound);
  });

  it("lists the tenant's audit events newest first, page by page, filtered, and never another tenant's", async () => {
    const acmeIds = new Set([users.acmeAdmin?.id, users.acmeMember?.id]);
    const seen: string[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const page = await admin("acmeAdmin").listAuditEvents({ pageSize: 2, pageToken });
      for (const event of page.events) {
        expect(acmeIds.has(event.userId)).toBe(true);
        seen.push(event.id);
      }
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken !== "" && pages < 50);
    expect(pages).toBeGreaterThan(1);
    expect(seen.map(Number)).toEqual([...seen.map(Number)].sort((a, b) => b - a));
    expect(new Set(seen).size).toBe(seen.length);

    const revoked = await admin("acmeAdmin").listAuditEvents({ eventType: "session.revoked" });
    expect(revoked.events.length).toBeGreaterThan(0);
    expect(
      revoked.events.every((e) => e.type === "session.revoked" && e.userId === users.acmeMember?.id),
    ).toBe(true);
    expect(JSON.parse(revoked.events[0]?.detailJson ?? "{}")).toMatchObject({ byAdmin: users.acmeAdmin?.id });

    const ofMember = await admin("acmeAdmin").listAuditEvents({ userId: users.acmeMember?.id ?? "" });
    expect(ofMember.events.length).toBeGreaterThan(0);
    expect(ofMember.events.every((e) => e.userId === users.acmeMember?.id)).toBe(true);
    // Another tenant's user answers not_found, as on every user RPC.
    expect(await codeOf(admin("acmeAdmin").listAuditEvents({ userId: users.globexMember?.id ?? "" }))).toBe(
      Code.NotFound,
    );

    const now = server.clock.now();
    const future = await admin("acmeAdmin").listAuditEvents({ startTime: timestampFromMs(now + 60_000) });
    expect(future.events).toHaveLength(0);
    const past = await admin("acmeAdmin").listAuditEvents({ endTime: timestampFromMs(now + 1) });
    expect(past.events.length).toBeGreaterThan(0);
    expect(
      await codeOf(
        admin("acmeAdmin").listAuditEvents({
          startTime: timestampFromMs(now),
          endTime: timestampFromMs(now - 1),
        }),
      ),
    ).toBe(Code.InvalidArgument);
    expect(await codeOf(admin("acmeAdmin").listAuditEvents({ pageToken: "nonsense" }))).toBe(
      Code.InvalidArgument,
    );
  });
});
