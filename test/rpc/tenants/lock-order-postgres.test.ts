// One lock order on PostgreSQL: a transaction that takes a tenant's row takes it before any row of
// one of the tenant's accounts. An administrator's change (UpdateUser, SetUserPassword, DeleteUser)
// and an account closing itself hold the tenant and then change the account; a sign-in holds the
// tenant against its suspension. Were a sign-in, a closure link or a verification link to write the
// account first and reach for the tenant second, it would meet the administrator in a circle and
// PostgreSQL would abort one of them (a deadlock, answered as an internal error).
//
// Each test holds the administrator's transaction open with the tenant taken, lets the request
// start and wait for the tenant, then changes the account in the held transaction, as the
// administrator's use case does next. Both must finish: the request after the change, with the
// answer it gives for the changed account.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AuthService } from "../../../gen/authd/v1/auth_pb.js";
import { ErrorInfoSchema, ErrorReason } from "../../../gen/authd/v1/common_pb.js";
import type { Repositories } from "../../../src/domain/persistence.js";
import { DEFAULT_TENANT_ID } from "../../../src/domain/tenants/records.js";
import type { Transaction } from "../../../src/domain/unit-of-work.js";
import { toConnectError } from "../../../src/interceptors/errors.js";
import { TRANSACTION_ATTEMPTS } from "../../../src/store/store.js";
import { tokenFrom } from "../../helpers/accounts.js";
import { appCode, type MfaHarness, PASSWORD, startMfaHarness } from "../../helpers/mfa.js";
import { type OidcIssuer, providerEnv, startOidcIssuer } from "../../helpers/oidc-issuer.js";
import { createTestDatabase } from "../../helpers/postgres.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import { bearer, createUser, signIn } from "../../helpers/sessions.js";
import { inTransaction } from "../../helpers/transaction.js";

/** "ok", or the code and reason of the failure. */
function outcome(error: unknown): string {
  const e = ConnectError.from(error);
  const info = e.findDetails(ErrorInfoSchema)[0];
  return `${Code[e.code]}/${info ? ErrorReason[info.reason] : "none"}`;
}

describe("the tenant before the account, on PostgreSQL", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let h: MfaHarness;
  let issuer: OidcIssuer;
  let n = 0;

  beforeAll(async () => {
    issuer = await startOidcIssuer();
    db = await createTestDatabase();
    h = await startMfaHarness({
      ...providerEnv(issuer),
      AUTHD_DATABASE_URL: db.url,
      AUTHD_REGISTRATIONS_PER_IP: "1000",
      AUTHD_EMAILS_PER_IP: "1000",
    });
  });
  afterAll(async () => {
    await h?.close();
    await issuer?.close();
    await db?.drop();
  });

  const now = () => h.server.clock.now();

  /** Whether some statement of this database waits for a lock now. */
  async function someoneWaits(): Promise<boolean> {
    const [row] = await h.server.db.read((em) =>
      em.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`,
      ),
    );
    return (row as { n: number }).n > 0;
  }

  /**
   * An administrator's transaction that holds `tenantId` (TenantUserRepository.lock), lets `call`
   * start and wait for a lock, then runs `change` on the account and commits. Answers how the call
   * and the administrator's transaction ended ("ok", or the failure), and whether the call waited.
   */
  async function meet(
    tenantId: string,
    change: (tx: Transaction<Repositories>) => Promise<void>,
    call: () => Promise<unknown>,
  ): Promise<{ call: string; admin: string; waited: boolean; aborted: number }> {
    const conflicts = h.server.db.store.conflicts;
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let holding: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      holding = resolve;
    });
    const admin = inTransaction(h.server.db, async (tx) => {
      await tx.tenantUsers.lock(tenantId);
      holding();
      await released;
      await change(tx);
    }).then(
      () => "ok",
      (error: unknown) => `failed: ${String(error)}`,
    );
    try {
      await held;
      let settled = false;
      const answer = call().then(
        () => "ok",
        (error: unknown) => outcome(error),
      );
      void answer.finally(() => {
        settled = true;
      });
      let waited = false;
      for (let polls = 0; polls < 1000 && !settled && !waited; polls++) {
        waited = await someoneWaits();
        if (!waited) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      release();
      const result = { call: await answer, admin: await admin, waited };
      // Run again, an aborted transaction would still answer right: what matters is that none was.
      return { ...result, aborted: h.server.db.store.conflicts - conflicts };
    } finally {
      release();
      await admin;
    }
  }

  const erase = (userId: string) => async (tx: Transaction<Repositories>) => {
    const account = await tx.accounts.findById(userId);
    if (!account) throw new Error("no account to erase");
    await tx.accountData.erase(account);
  };

  test("a sign-in racing its account's disabling by an administrator waits for it and answers ACCOUNT_DEACTIVATED", async () => {
    const user = await createUser(h.server, { tenantId: DEFAULT_TENANT_ID });
    const result = await meet(
      DEFAULT_TENANT_ID,
      (tx) => tx.accounts.update(user.id, { status: "deactivated", updatedAt: now() }),
      () => h.auth.login({ identifier: user.email, password: PASSWORD }),
    );
    expect(result).toEqual({
      call: "FailedPrecondition/ACCOUNT_DEACTIVATED",
      admin: "ok",
      waited: true,
      aborted: 0,
    });
  });

  test("a second factor completing a sign-in while an administrator deletes the account: the challenge is gone, nothing fails", async () => {
    const u = await h.userWithTotp(`challenged${++n}@example.com`);
    const started = await h.auth.login({ identifier: u.email, password: PASSWORD });
    if (started.result.case !== "mfaChallenge") throw new Error("expected a challenge");
    const challengeId = started.result.value.challengeId;
    const result = await meet(DEFAULT_TENANT_ID, erase(u.userId), () =>
      h.mfaFor("").verifyChallenge({
        challengeId,
        authenticatorId: u.totpId,
        code: appCode(u.secret, now()),
      }),
    );
    expect(result).toEqual({
      call: "Unauthenticated/CHALLENGE_EXPIRED",
      admin: "ok",
      waited: true,
      aborted: 0,
    });
  });

  test("a provider sign-in linking an account by its verified email while an administrator deletes it: a new account, nothing fails", async () => {
    const user = await createUser(h.server, { tenantId: DEFAULT_TENANT_ID });
    const idToken = await issuer.mint(now(), { claims: { sub: `linking-${++n}`, email: user.email } });
    const result = await meet(DEFAULT_TENANT_ID, erase(user.id), () =>
      h.auth.loginWithProvider({ provider: "test", idToken }),
    );
    expect(result).toEqual({ call: "ok", admin: "ok", waited: true, aborted: 0 });
  });

  test("a deletion link followed while an administrator deletes the account: the link is spent with it, nothing fails", async () => {
    const user = await createUser(h.server, { tenantId: DEFAULT_TENANT_ID });
    const { accessToken } = await signIn(h.server, user.id);
    await h.server.client(AuthService, "connect", bearer(accessToken)).requestDeletion({
      currentPassword: PASSWORD,
    });
    const token = tokenFrom(await h.mailTo(user.email, /deletion/i));
    const result = await meet(DEFAULT_TENANT_ID, erase(user.id), () => h.auth.confirmDeletion({ token }));
    expect(result).toEqual({ call: "InvalidArgument/TOKEN_INVALID", admin: "ok", waited: true, aborted: 0 });
  });

  test.each(["verification", "password reset"] as const)(
    "a pending company's first admin following the %s link while an operator changes the account: the tenant is activated, nothing fails",
    async (link) => {
      const slug = `lock-order-${++n}`;
      const email = `first-admin-${slug}@example.com`;
      const { tenant } = await h.auth.registerCompany({
        companyName: "Lock order",
        companySlug: slug,
        user: { email, password: PASSWORD },
      });
      if (!tenant) throw new Error("no tenant");
      let follow: () => Promise<unknown>;
      if (link === "verification") {
        const token = tokenFrom(await h.mailTo(email, /verify/i));
        follow = () => h.auth.verifyEmail({ token });
      } else {
        await h.auth.requestPasswordReset({ email, tenant: slug });
        const token = tokenFrom(await h.mailTo(email, /reset/i));
        follow = () => h.auth.resetPassword({ token, newPassword: `${PASSWORD} anew` });
      }
      const [admin] = await inTransaction(h.server.db, (tx) =>
        tx.tenantUsers.activeIdsWithRole(tenant.id, "admin"),
      );
      if (!admin) throw new Error("no admin");
      const result = await meet(
        tenant.id,
        (tx) => tx.accounts.update(admin, { firstName: "Renamed", updatedAt: now() }),
        follow,
      );
      expect(result).toEqual({ call: "ok", admin: "ok", waited: true, aborted: 0 });
      const status = await inTransaction(h.server.db, (tx) => tx.tenants.findById(tenant.id));
      expect(status?.status).toBe("active");
    },
  );
});

// Whatever still makes PostgreSQL abort a transaction for a concurrent one (a deadlock, a
// serialization failure) is not the client's doing: the store runs the whole unit of work again,
// a bounded number of times, and past that answers unavailable (which a client may retry), never
// internal.
describe("a transaction PostgreSQL aborts for a concurrent one", () => {
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

  test("a deadlock's victim is run again and commits: both units of work succeed", async () => {
    const first = await server.app.tenants.create({ slug: "left", name: "Left" }, null, client);
    const second = await server.app.tenants.create({ slug: "right", name: "Right" }, null, client);
    const attempts = { a: 0, b: 0 };
    let aHolds: () => void = () => {};
    const aHeld = new Promise<void>((resolve) => {
      aHolds = resolve;
    });
    let bHolds: () => void = () => {};
    const bHeld = new Promise<void>((resolve) => {
      bHolds = resolve;
    });
    // Two units of work taking the same two rows in opposite orders, each waiting until the other
    // holds its first: a deadlock on the first run, whichever PostgreSQL picks as the victim. The
    // victim's second run waits until the other has finished: run at once, it could take its first
    // row again before the survivor is granted it (the victim's rollback and its rerun race) and
    // deadlock a second time, which would test the machine's timing rather than the retry.
    let aDone: () => void = () => {};
    const aFinished = new Promise<void>((resolve) => {
      aDone = resolve;
    });
    let bDone: () => void = () => {};
    const bFinished = new Promise<void>((resolve) => {
      bDone = resolve;
    });
    const a = inTransaction(server.db, async (tx) => {
      attempts.a++;
      if (attempts.a > 1) await bFinished;
      await tx.tenantUsers.lock(first.id);
      aHolds();
      await bHeld;
      await tx.tenantUsers.lock(second.id);
    }).finally(aDone);
    const b = inTransaction(server.db, async (tx) => {
      attempts.b++;
      if (attempts.b > 1) await aFinished;
      await tx.tenantUsers.lock(second.id);
      bHolds();
      await aHeld;
      await tx.tenantUsers.lock(first.id);
    }).finally(bDone);
    const answers = await Promise.allSettled([a, b]);
    expect(answers.map((answer) => answer.status)).toEqual(["fulfilled", "fulfilled"]);
    expect(attempts.a + attempts.b).toBe(3);
    expect(server.db.store.conflicts).toBe(1);
  });

  test("a conflict past the bound answers unavailable, after a bounded number of runs", async () => {
    let runs = 0;
    const failing = server.db.transaction(async (em) => {
      runs++;
      await em.query(
        `DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = 'serialization_failure'; END $$`,
      );
    });
    const error = await failing.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(runs).toBe(TRANSACTION_ATTEMPTS);
    expect(TRANSACTION_ATTEMPTS).toBeGreaterThan(1);
    const answer = toConnectError(error, server.app.logger, "test", "Test");
    expect(Code[answer.code]).toBe("Unavailable");
    expect(answer.rawMessage).toMatch(/try again/);
  });

  test("any other failure is not run again", async () => {
    let runs = 0;
    const failing = server.db.transaction(async (em) => {
      runs++;
      await em.query(`DO $$ BEGIN RAISE EXCEPTION 'a bug' USING ERRCODE = 'check_violation'; END $$`);
    });
    await expect(failing).rejects.toThrow(/a bug/);
    expect(runs).toBe(1);
  });
});
