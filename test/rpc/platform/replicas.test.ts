// Two replicas of authd on one PostgreSQL database, as behind a load balancer: everything that must
// be shared (keys, sessions, counters, single-use tokens) is in the database, so it does not matter
// which replica answers.
import { Code, ConnectError } from "@connectrpc/connect";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthService } from "../../../gen/authd/v1/auth_pb.js";
import { SessionScope } from "../../../gen/authd/v1/common_pb.js";
import { SessionService } from "../../../gen/authd/v1/session_pb.js";
import { PROFILE_BOUND_MS } from "../../../src/domain/accounts/profile-cache.js";
import {
  type AccountsHarness,
  expectCode,
  PASSWORD,
  startAccountsHarness,
  tokenFrom,
} from "../../helpers/accounts.js";
import { createTestDatabase } from "../../helpers/postgres.js";

let db: Awaited<ReturnType<typeof createTestDatabase>>;

/** Ends the replicas' LISTEN connections from the server side, as a dropped connection would. */
async function terminateListeners() {
  const admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  try {
    const listeners = await admin.query(
      "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'authd revocations'",
    );
    expect(listeners.rowCount).toBeGreaterThan(0);
    for (const row of listeners.rows) await admin.query("SELECT pg_terminate_backend($1)", [row.pid]);
  } finally {
    await admin.end();
  }
}
let a: AccountsHarness;
let b: AccountsHarness;

beforeAll(async () => {
  db = await createTestDatabase();
  const env = {
    AUTHD_DATABASE_URL: db.url,
    AUTHD_SECRET: "replicas-share-this-master-secret-0123456789",
    AUTHD_LOGIN_MAX_FAILURES: "4",
    AUTHD_REGISTRATIONS_PER_IP: "6",
  };
  a = await startAccountsHarness(env);
  // One mail server for both, as in production: either replica's outbox worker may send a message.
  b = await startAccountsHarness({ ...env, AUTHD_SMTP_URL: a.smtp.url });
});
afterAll(async () => {
  await a.close();
  await b.close();
  await db.drop();
});

function advanceBoth(seconds: number) {
  a.server.clock.advanceSeconds(seconds);
  b.server.clock.advanceSeconds(seconds);
}

/** Each replica checks tokens from memory; another replica's revocation reaches it within this. */
const REVOCATION_BOUND_MS = 1000;

/** Polls `check` until it answers true; answers how long that took, or fails after the deadline. */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await check()) return performance.now() - started;
    if (performance.now() - started > ms) throw new Error(`not seen within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const inactiveOn = (replica: AccountsHarness, token: string) => async () =>
  !(await replica.server.client(SessionService).validateToken({ token })).active;

describe("two replicas on one PostgreSQL database", () => {
  it("accept each other's tokens and see each other's revocations within the bound", async () => {
    await a.signUp("shared@example.com");
    const fromB = await b.login("shared@example.com");
    expect((await a.authed(fromB.accessToken).getCurrentUser({})).user?.email).toBe("shared@example.com");
    const rotated = await a.auth.refresh({ refreshToken: fromB.refreshToken });
    advanceBoth(60);
    await expectCode(b.auth.refresh({ refreshToken: fromB.refreshToken }), Code.Unauthenticated);
    await within(REVOCATION_BOUND_MS, inactiveOn(a, rotated.tokens?.accessToken ?? ""));
  });

  it("count failed sign-ins together, so alternating replicas does not dodge the lockout", async () => {
    await a.signUp("target@example.com");
    for (const [i, replica] of [a, b, a, b].entries()) {
      await expectCode(
        replica.auth.login({ identifier: "target@example.com", password: `guess ${i} guess` }),
        Code.Unauthenticated,
      );
    }
    // Locked: even the right password answers like a wrong one, on either replica.
    await expectCode(
      b.auth.login({ identifier: "target@example.com", password: PASSWORD }),
      Code.Unauthenticated,
      /invalid credentials/,
    );
    await expectCode(
      a.auth.login({ identifier: "target@example.com", password: PASSWORD }),
      Code.Unauthenticated,
      /invalid credentials/,
    );
    await a.mailTo("target@example.com", /locked/i);
  });

  it("share rate limits", async () => {
    // Two registrations above already counted; four more fill the window whichever replica takes them.
    for (const [i, replica] of [a, b, a, b].entries()) {
      await replica.auth.register({ email: `limit${i}@example.com`, password: PASSWORD });
    }
    await expectCode(
      a.auth.register({ email: "limit9@example.com", password: PASSWORD }),
      Code.ResourceExhausted,
    );
    await expectCode(
      b.auth.register({ email: "limit9@example.com", password: PASSWORD }),
      Code.ResourceExhausted,
    );
  });

  it("let an emailed token be used once, even when both replicas get it at the same moment", async () => {
    advanceBoth(3600); // a new rate-limit window after the test above
    await a.signUp("race@example.com");
    await a.auth.requestPasswordReset({ email: "race@example.com" });
    const token = tokenFrom(await a.mailTo("race@example.com", /reset/i));
    const attempts = await Promise.allSettled([
      a.auth.resetPassword({ token, newPassword: "first new passphrase" }),
      b.auth.resetPassword({ token, newPassword: "second new passphrase" }),
      a.auth.resetPassword({ token, newPassword: "third new passphrase" }),
      b.auth.resetPassword({ token, newPassword: "fourth new passphrase" }),
    ]);
    const won = attempts.filter((r) => r.status === "fulfilled");
    expect(won).toHaveLength(1);
    for (const r of attempts) {
      if (r.status === "rejected") expect(ConnectError.from(r.reason).code).toBe(Code.InvalidArgument);
    }
    expect(AuthService.typeName).toBe("authd.v1.AuthService");
  });

  it("see a session revoked on the other replica within a second, though they had it cached", async () => {
    await a.signUp("cached@example.com");
    const session = await a.login("cached@example.com");
    // Both replicas have checked the token, so both hold the session's state in memory.
    expect(await inactiveOn(a, session.accessToken)()).toBe(false);
    expect(await inactiveOn(b, session.accessToken)()).toBe(false);
    await a.server
      .client(SessionService, "connect", { authorization: `Bearer ${session.accessToken}` })
      .revokeSession({
        sessionId: session.sessionId,
      });
    // Immediate on the replica that revoked; within the bound on the other.
    expect(await inactiveOn(a, session.accessToken)()).toBe(true);
    await within(REVOCATION_BOUND_MS, inactiveOn(b, session.accessToken));
    await expectCode(b.authed(session.accessToken).getCurrentUser({}), Code.Unauthenticated);
  });

  it("see a revocation made while the listener was down, within the bound after it", async () => {
    await a.signUp("offline@example.com");
    const session = await a.login("offline@example.com");
    expect(await inactiveOn(b, session.accessToken)()).toBe(false);
    // B's notification connection drops (as in a network blip) just before A revokes everything.
    await terminateListeners();
    await a.authed(session.accessToken).logout({ endSessions: SessionScope.ALL });
    await within(REVOCATION_BOUND_MS + 500, inactiveOn(b, session.accessToken));
  });

  it("show a profile changed on one replica at once there, and within the bound on the other", async () => {
    advanceBoth(3600); // a new registration window
    await a.signUp("profile-replica@example.com");
    const { accessToken } = await a.login("profile-replica@example.com");
    // Both replicas have answered the profile, so both may hold it in memory.
    expect((await a.authed(accessToken).getCurrentUser({})).user?.firstName).toBe("");
    expect((await b.authed(accessToken).getCurrentUser({})).user?.firstName).toBe("");
    await a.authed(accessToken).updateCurrentUser({ firstName: "Grace" });
    expect((await a.authed(accessToken).getCurrentUser({})).user?.firstName).toBe("Grace");
    // B's copy is never older than the bound: once it has passed, B answers the change.
    await new Promise((resolve) => setTimeout(resolve, PROFILE_BOUND_MS));
    expect((await b.authed(accessToken).getCurrentUser({})).user?.firstName).toBe("Grace");
  });
});
