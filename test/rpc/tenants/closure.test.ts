// The last-admin rule holds for self-service closure too, on SQLite and PostgreSQL: the last active
// admin of a tenant (and the last operator) cannot deactivate or delete their own account, neither
// when asking for the link nor when following it; a refused link is not spent, so it works once
// another admin is appointed; and of two admins closing their accounts at once exactly one succeeds.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthService } from "../../../gen/authd/v1/auth_pb.js";
import { ErrorInfoSchema, ErrorReason } from "../../../gen/authd/v1/common_pb.js";
import { DEFAULT_TENANT_ID } from "../../../src/domain/tenants/records.js";
import { type AccountsHarness, startAccountsHarness, tokenFrom } from "../../helpers/accounts.js";
import { forEachDatabase } from "../../helpers/databases.js";
import { bearer, createUser, PASSWORD, signIn, type TestUser } from "../../helpers/sessions.js";

type Closure = "deactivation" | "deletion";

/** "ok", or the code and reason of the failure; never Internal (a deadlock, a constraint). */
function outcome(answer: PromiseSettledResult<unknown>): string {
  if (answer.status === "fulfilled") return "ok";
  const error = ConnectError.from(answer.reason);
  expect(error.code, error.message).not.toBe(Code.Internal);
  const info = error.findDetails(ErrorInfoSchema)[0];
  return `${Code[error.code]}/${info ? ErrorReason[info.reason] : "none"}`;
}

const settle = async (call: Promise<unknown>) => outcome((await Promise.allSettled([call]))[0] as never);

forEachDatabase("closing one's own account", (database) => {
  describe("as a tenant's last admin", () => {
    let h: AccountsHarness;
    let n = 0;
    const client = { ip: "127.0.0.1", rateLimitKey: "127.0.0.1", userAgent: "vitest" };

    beforeAll(async () => {
      const env: Record<string, string> = {
        AUTHD_EMAILS_PER_ADDRESS: "100",
        AUTHD_EMAILS_PER_IP: "1000",
        ...(await database.env()),
      };
      h = await startAccountsHarness(env);
    });
    afterAll(async () => {
      await h?.close();
    });

    async function newTenant(): Promise<{ id: string; slug: string }> {
      const slug = `closure-${database.kind}-${++n}`;
      const tenant = await h.server.app.tenants.create({ slug, name: "Closure" }, null, client);
      return { id: tenant.id, slug };
    }

    /** The account's own AuthService, signed in. */
    async function selfService(user: TestUser) {
      const { accessToken } = await signIn(h.server, user.id);
      return h.server.client(AuthService, "connect", bearer(accessToken));
    }

    const request = async (user: TestUser, kind: Closure) => {
      const auth = await selfService(user);
      return kind === "deactivation"
        ? auth.requestDeactivation({ currentPassword: PASSWORD })
        : auth.requestDeletion({ currentPassword: PASSWORD });
    };

    /** Asks for the link and answers the token mailed. */
    async function linkFor(user: TestUser, kind: Closure): Promise<string> {
      await request(user, kind);
      const subject = kind === "deactivation" ? /deactivat/i : /deletion/i;
      return tokenFrom(await h.mailTo(user.email, subject));
    }

    const confirm = (kind: Closure, token: string) =>
      kind === "deactivation" ? h.auth.confirmDeactivation({ token }) : h.auth.confirmDeletion({ token });

    /** Whether the account still signs in to its tenant. */
    async function signsIn(user: TestUser, slug: string): Promise<boolean> {
      const answer = await Promise.allSettled([
        h.auth.login({ identifier: user.email, password: PASSWORD, tenant: slug }),
      ]);
      return answer[0]?.status === "fulfilled";
    }

    async function mailCount(to: string): Promise<number> {
      await h.server.afterReply.settled();
      await h.server.mail.flush();
      return h.smtp.messages.filter((m) => m.to.includes(to)).length;
    }

    it.each(["deactivation", "deletion"] as const)(
      "the last active admin's %s link is refused with LAST_ADMIN and not spent: it works once another admin is appointed",
      async (kind) => {
        const tenant = await newTenant();
        const a = await createUser(h.server, { tenantId: tenant.id, roles: ["admin"] });
        const b = await createUser(h.server, { tenantId: tenant.id, roles: ["admin"] });
        // Both ask while there are two admins; one closes, which leaves the other the last.
        const tokenA = await linkFor(a, "deactivation");
        const tokenB = await linkFor(b, kind);
        await confirm("deactivation", tokenA);

        const refused = await confirm(kind, tokenB).catch((e: unknown) => ConnectError.from(e));
        expect(refused).toBeInstanceOf(ConnectError);
        const error = refused as ConnectError;
        expect(Code[error.code]).toBe("FailedPrecondition");
        expect(ErrorReason[error.findDetails(ErrorInfoSchema)[0]?.reason ?? 0]).toBe("LAST_ADMIN");
        expect(error.rawMessage).toMatch(/another user admin first/);
        expect(await signsIn(b, tenant.slug)).toBe(true);

        await createUser(h.server, { tenantId: tenant.id, roles: ["admin"] });
        await confirm(kind, tokenB);
        expect(await signsIn(b, tenant.slug)).toBe(false);
      },
    );

    it("the last admin's RequestDeactivation and RequestDeletion are refused before anything is mailed; a member's are not", async () => {
      const tenant = await newTenant();
      const admin = await createUser(h.server, { tenantId: tenant.id, roles: ["admin"] });
      const member = await createUser(h.server, { tenantId: tenant.id, roles: ["member"] });
      const before = await mailCount(admin.email);
      expect(await settle(request(admin, "deactivation"))).toBe("FailedPrecondition/LAST_ADMIN");
      expect(await settle(request(admin, "deletion"))).toBe("FailedPrecondition/LAST_ADMIN");
      expect(await mailCount(admin.email)).toBe(before);

      await confirm("deletion", await linkFor(member, "deletion"));
      expect(await signsIn(member, tenant.slug)).toBe(false);
      // A deactivated admin is no admin the tenant keeps: the last active one is.
      expect(await signsIn(admin, tenant.slug)).toBe(true);
    });

    it.each([
      ["deactivation", "deactivation"],
      ["deactivation", "deletion"],
      ["deletion", "deletion"],
    ] as const)(
      "of two admins following their %s and %s links at once, exactly one closes",
      async (first, second) => {
        for (let round = 0; round < 3; round++) {
          const tenant = await newTenant();
          const a = await createUser(h.server, { tenantId: tenant.id, roles: ["admin"] });
          const b = await createUser(h.server, { tenantId: tenant.id, roles: ["admin"] });
          const tokens = [await linkFor(a, first), await linkFor(b, second)] as const;
          const answers = await Promise.allSettled([confirm(first, tokens[0]), confirm(second, tokens[1])]);
          expect(answers.map(outcome).sort()).toEqual(["FailedPrecondition/LAST_ADMIN", "ok"]);
          const open = [await signsIn(a, tenant.slug), await signsIn(b, tenant.slug)];
          expect(open.filter(Boolean)).toHaveLength(1);
        }
      },
    );

    it("the last operator cannot close their own account either; once another operator exists the same link works", async () => {
      // The default tenant's only operators are the ones made here.
      const first = await createUser(h.server, { tenantId: DEFAULT_TENANT_ID, roles: ["operator"] });
      const second = await createUser(h.server, { tenantId: DEFAULT_TENANT_ID, roles: ["operator"] });
      const tokenFirst = await linkFor(first, "deletion");
      await confirm("deactivation", await linkFor(second, "deactivation"));

      expect(await settle(request(first, "deactivation"))).toBe("FailedPrecondition/LAST_ADMIN");
      const refused = await confirm("deletion", tokenFirst).catch((e: unknown) => ConnectError.from(e));
      expect(refused).toBeInstanceOf(ConnectError);
      expect((refused as ConnectError).rawMessage).toMatch(/another user operator first/);
      expect(await signsIn(first, "")).toBe(true);

      await createUser(h.server, { tenantId: DEFAULT_TENANT_ID, roles: ["operator"] });
      await confirm("deletion", tokenFirst);
      expect(await signsIn(first, "")).toBe(false);
    });
  });
});
