// The boundary between an admin of the default tenant and its operators, on SQLite and PostgreSQL:
// an admin who is not an operator neither reads nor ends an operator's sessions, nor reads an
// operator's audit events (by filter or in the whole trail), and cannot set an operator's password
// even when the promotion to operator commits while the request is under way: the guard is checked
// in the transaction that writes.
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, expect, it } from "vitest";
import { AdminService } from "../../../gen/authd/v1/admin_pb.js";
import { SessionService } from "../../../gen/authd/v1/session_pb.js";
import { DEFAULT_TENANT_ID } from "../../../src/domain/tenants/records.js";
import { type AccountsHarness, expectCode, startAccountsHarness } from "../../helpers/accounts.js";
import { forEachDatabase } from "../../helpers/databases.js";
import { bearer, createUser, PASSWORD, type TestUser } from "../../helpers/sessions.js";
import { inTransaction } from "../../helpers/transaction.js";

const NEW_PASSWORD = "a password the admin chose";

forEachDatabase("operators and default-tenant admins", (database) => {
  let h: AccountsHarness;
  let operator: TestUser;
  let defaultAdmin: TestUser;
  const tokens = { operator: "", defaultAdmin: "" };
  const admin = (who: keyof typeof tokens) => h.server.client(AdminService, "connect", bearer(tokens[who]));

  async function signIn(user: TestUser, password = PASSWORD): Promise<string> {
    const res = await h.auth.login({ identifier: user.email, password });
    if (res.result.case !== "tokens") throw new Error(`expected tokens, got ${res.result.case}`);
    return res.result.value.accessToken;
  }
  const isActive = async (token: string) =>
    (await h.server.client(SessionService).validateToken({ token })).active;

  beforeAll(async () => {
    h = await startAccountsHarness(await database.env());
    operator = await createUser(h.server, { tenantId: DEFAULT_TENANT_ID, roles: ["operator"] });
    defaultAdmin = await createUser(h.server, { tenantId: DEFAULT_TENANT_ID, roles: ["admin"] });
    tokens.operator = await signIn(operator);
    tokens.defaultAdmin = await signIn(defaultAdmin);
  });
  afterAll(async () => {
    await h?.close();
  });

  /** Every event the caller can page through, without filters. */
  async function wholeTrail(who: keyof typeof tokens): Promise<string[]> {
    const userIds: string[] = [];
    let pageToken = "";
    do {
      const page = await admin(who).listAuditEvents({ pageSize: 100, pageToken });
      userIds.push(...page.events.map((e) => e.userId));
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    return userIds;
  }

  it("an admin who is not an operator cannot list or end an operator's sessions or read its audit events", async () => {
    const member = await createUser(h.server, { tenantId: DEFAULT_TENANT_ID, roles: ["member"] });
    await signIn(member);
    const userId = operator.id;
    await expectCode(admin("defaultAdmin").listUserSessions({ userId }), Code.PermissionDenied);
    await expectCode(admin("defaultAdmin").revokeUserSessions({ userId }), Code.PermissionDenied);
    expect(await isActive(tokens.operator)).toBe(true);
    await expectCode(admin("defaultAdmin").listAuditEvents({ userId }), Code.PermissionDenied);

    // The whole trail shows the tenant's other accounts, never an operator's events.
    const seenByAdmin = await wholeTrail("defaultAdmin");
    expect(seenByAdmin).toContain(member.id);
    expect(seenByAdmin).toContain(defaultAdmin.id);
    expect(seenByAdmin).not.toContain(operator.id);
    expect(await wholeTrail("operator")).toContain(operator.id);

    // The same RPCs on a member still work for the admin; an operator sees its own.
    expect((await admin("defaultAdmin").listUserSessions({ userId: member.id })).sessions).toHaveLength(1);
    expect((await admin("operator").listUserSessions({ userId })).sessions.length).toBeGreaterThan(0);
    expect((await admin("operator").listAuditEvents({ userId })).events.length).toBeGreaterThan(0);
  });

  it("SetUserPassword checks the operator guard in its transaction: a promotion committed while the password was hashed wins", async () => {
    const target = await createUser(h.server, { tenantId: DEFAULT_TENANT_ID, roles: ["member"] });
    const hasher = h.server.internals.hasher;
    const hash = hasher.hash.bind(hasher);
    // The new password's hash is the slow step between reading the target and writing it: an
    // operator promotes the target right then.
    hasher.hash = async (secret: string) => {
      hasher.hash = hash;
      await admin("operator").updateUser({
        userId: target.id,
        replaceRoles: true,
        roles: ["member", "operator"],
        currentPassword: PASSWORD,
      });
      return hash(secret);
    };
    try {
      await expectCode(
        admin("defaultAdmin").setUserPassword({
          userId: target.id,
          newPassword: NEW_PASSWORD,
          currentPassword: PASSWORD,
        }),
        Code.PermissionDenied,
        /operator/,
      );
    } finally {
      hasher.hash = hash;
    }
    expect((await admin("operator").getUser({ userId: target.id })).user?.roles).toEqual([
      "member",
      "operator",
    ]);
    await signIn(target);
  });

  it.runIf(database.kind === "postgres")(
    "SetUserPassword waits for a promotion still open in another transaction, then refuses",
    async () => {
      const target = await createUser(h.server, { tenantId: DEFAULT_TENANT_ID, roles: ["member"] });
      let release: () => void = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      let promoted: () => void = () => {};
      const begun = new Promise<void>((resolve) => {
        promoted = resolve;
      });
      // What UpdateUser does when an operator promotes: hold the tenant, change the roles; and
      // stay open until the test lets it commit.
      const promotion = inTransaction(h.server.db, async (tx) => {
        await tx.tenantUsers.lock(DEFAULT_TENANT_ID);
        await tx.accounts.update(target.id, {
          roles: ["member", "operator"],
          updatedAt: h.server.clock.now(),
        });
        promoted();
        await released;
      });
      await begun;
      const answer = admin("defaultAdmin")
        .setUserPassword({ userId: target.id, newPassword: NEW_PASSWORD, currentPassword: PASSWORD })
        .then(
          () => "ok",
          (e: unknown) => String(e),
        );
      // Until the request waits for a lock the promotion holds.
      for (let polls = 0; ; polls++) {
        const [row] = await h.server.db.read((em) =>
          em.query(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`,
          ),
        );
        if ((row as { n: number }).n > 0) break;
        if (polls > 1000) throw new Error("SetUserPassword never waited for the open promotion");
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      release();
      await promotion;
      expect(await answer).toMatch(/permission_denied.*operator/);
      await signIn(target);
    },
  );
});
