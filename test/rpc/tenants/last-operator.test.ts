// The last-operator rule holds for AdminService's changes too, on SQLite and PostgreSQL: the last
// active operator can neither demote nor disable themselves through UpdateUser, and of two
// operators demoting, disabling or deleting each other at once exactly one succeeds, so authd always
// keeps someone who can manage its tenants (FAILED_PRECONDITION, reason LAST_ADMIN).
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, expect, it } from "vitest";
import { AdminService } from "../../../gen/authd/v1/admin_pb.js";
import { ErrorInfoSchema, ErrorReason, UserStatus } from "../../../gen/authd/v1/common_pb.js";
import { DEFAULT_TENANT_ID } from "../../../src/domain/tenants/records.js";
import { type AccountsHarness, startAccountsHarness } from "../../helpers/accounts.js";
import { forEachDatabase } from "../../helpers/databases.js";
import { bearer, createUser, PASSWORD, type TestUser } from "../../helpers/sessions.js";
import { inTransaction } from "../../helpers/transaction.js";

/** "ok", or the code and reason of the failure; never Internal (a deadlock, a constraint). */
function outcome(answer: PromiseSettledResult<unknown>): string {
  if (answer.status === "fulfilled") return "ok";
  const error = ConnectError.from(answer.reason);
  expect(error.code, error.message).not.toBe(Code.Internal);
  const info = error.findDetails(ErrorInfoSchema)[0];
  return `${Code[error.code]}/${info ? ErrorReason[info.reason] : "none"}`;
}

const settle = async (call: Promise<unknown>) => outcome((await Promise.allSettled([call]))[0] as never);

type Removal = "demote" | "disable" | "delete";

forEachDatabase("the last operator", (database) => {
  let h: AccountsHarness;

  beforeAll(async () => {
    h = await startAccountsHarness(await database.env());
  });
  afterAll(async () => {
    await h?.close();
  });

  /** `count` new operators, signed in, who are from now on authd's only active ones. */
  async function onlyOperators(
    count: number,
  ): Promise<Array<TestUser & { admin: ReturnType<typeof client> }>> {
    await inTransaction(h.server.db, async (tx) => {
      for (const id of await tx.tenantUsers.activeIdsWithRole(DEFAULT_TENANT_ID, "operator"))
        await tx.accounts.update(id, { roles: ["member"], updatedAt: h.server.clock.now() });
    });
    const operators = [];
    for (let i = 0; i < count; i++) {
      const user = await createUser(h.server, { tenantId: DEFAULT_TENANT_ID, roles: ["operator"] });
      const res = await h.auth.login({ identifier: user.email, password: PASSWORD });
      if (res.result.case !== "tokens") throw new Error(`expected tokens, got ${res.result.case}`);
      operators.push({ ...user, admin: client(res.result.value.accessToken) });
    }
    return operators;
  }
  const client = (token: string) => h.server.client(AdminService, "connect", bearer(token));

  const remove = (by: ReturnType<typeof client>, userId: string, how: Removal) => {
    switch (how) {
      case "demote":
        return by.updateUser({ userId, replaceRoles: true, roles: ["member"], currentPassword: PASSWORD });
      case "disable":
        return by.updateUser({ userId, status: UserStatus.DEACTIVATED });
      case "delete":
        return by.deleteUser({ userId, currentPassword: PASSWORD });
    }
  };

  const activeOperators = () =>
    inTransaction(h.server.db, (tx) => tx.tenantUsers.activeIdsWithRole(DEFAULT_TENANT_ID, "operator"));

  it("the last operator cannot demote or disable themselves: LAST_ADMIN; beside another operator they can", async () => {
    const [only] = await onlyOperators(1);
    if (!only) throw new Error("no operator");
    expect(await settle(remove(only.admin, only.id, "demote"))).toBe("FailedPrecondition/LAST_ADMIN");
    const refused = await remove(only.admin, only.id, "disable").catch((e: unknown) => ConnectError.from(e));
    expect(refused).toBeInstanceOf(ConnectError);
    expect((refused as ConnectError).rawMessage).toMatch(/another user operator first/);
    expect(await activeOperators()).toEqual([only.id]);
    // Still an operator: it manages tenants.
    await only.admin.listTenants({});

    // With a second operator the same change goes through.
    const second = await createUser(h.server, { tenantId: DEFAULT_TENANT_ID, roles: ["operator"] });
    expect(await settle(remove(only.admin, only.id, "demote"))).toBe("ok");
    expect(await activeOperators()).toEqual([second.id]);
  });

  it.each([
    ["demote", "demote"],
    ["demote", "disable"],
    ["demote", "delete"],
    ["disable", "disable"],
    ["disable", "delete"],
    ["delete", "delete"],
  ] as const)(
    "of two operators who %s and %s each other at once, exactly one succeeds",
    async (first, second) => {
      for (let round = 0; round < 2; round++) {
        const [a, b] = await onlyOperators(2);
        if (!a || !b) throw new Error("no operators");
        const answers = await Promise.allSettled([
          remove(a.admin, b.id, first),
          remove(b.admin, a.id, second),
        ]);
        const [loser, winner] = answers.map(outcome).sort();
        expect(winner).toBe("ok");
        // Refused by the rule, or (when the winner committed before the loser was even authenticated)
        // because the winner's change ended the loser's session.
        expect(["FailedPrecondition/LAST_ADMIN", "Unauthenticated/SESSION_REVOKED"]).toContain(loser);
        expect(await activeOperators()).toHaveLength(1);
      }
    },
  );
});
