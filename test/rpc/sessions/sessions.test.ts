// Sessions through a real server: refresh rotation and reuse detection, the grace period, listing and
// revocation, Logout, idle and absolute expiry; and refresh rotation on PostgreSQL.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthService } from "../../../gen/authd/v1/auth_pb.js";
import { SessionScope } from "../../../gen/authd/v1/common_pb.js";
import { SessionService } from "../../../gen/authd/v1/session_pb.js";
import { createTestDatabase } from "../../helpers/postgres.js";
import { protocols, startTestServer, type TestServer } from "../../helpers/server.js";
import { bearer, createUser, signIn } from "../../helpers/sessions.js";

const IDLE = 3600;
const GRACE = 10;
let server: TestServer;
let userId: string;

beforeAll(async () => {
  server = await startTestServer({
    AUTHD_SESSION_IDLE_TIMEOUT: String(IDLE),
    AUTHD_SESSION_TTL: String(4 * 3600),
    AUTHD_SESSION_MAX_TTL: String(8 * 3600),
    AUTHD_REFRESH_REUSE_GRACE: String(GRACE),
  });
  userId = (await createUser(server)).id;
});
afterAll(() => server.close());

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => Code[0],
    (e) => Code[ConnectError.from(e).code],
  );

async function isActive(s: TestServer, token: string): Promise<boolean> {
  return (await s.client(SessionService).validateToken({ token })).active;
}

describe("refresh", () => {
  it.each(protocols)("rotates the refresh token on every use (%s)", async (protocol) => {
    const first = await signIn(server, userId);
    const auth = server.client(AuthService, protocol);
    const second = (await auth.refresh({ refreshToken: first.refreshToken })).tokens;
    expect(second?.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(second?.refreshToken).not.toBe(first.refreshToken);
    expect(second?.sessionId).toBe(first.sessionId);
    expect(second?.tokenType).toBe("Bearer");
    expect(await isActive(server, second?.accessToken ?? "")).toBe(true);
    const third = (await auth.refresh({ refreshToken: second?.refreshToken ?? "" })).tokens;
    expect(third?.sessionId).toBe(first.sessionId);
  });

  it("a reused refresh token revokes the session, and both its tokens stop working", async () => {
    const first = await signIn(server, userId);
    const auth = server.client(AuthService);
    const second = (await auth.refresh({ refreshToken: first.refreshToken })).tokens;
    server.clock.advanceSeconds(GRACE + 1);
    expect(await codeOf(auth.refresh({ refreshToken: first.refreshToken }))).toBe("Unauthenticated");
    expect(await codeOf(auth.refresh({ refreshToken: second?.refreshToken ?? "" }))).toBe("Unauthenticated");
    expect(await isActive(server, second?.accessToken ?? "")).toBe(false);
    expect(
      await codeOf(server.client(SessionService, "grpc", bearer(second?.accessToken ?? "")).getSession({})),
    ).toBe("Unauthenticated");
  });

  it("the token just rotated may be presented once more within the grace period (two tabs)", async () => {
    const first = await signIn(server, userId);
    const auth = server.client(AuthService);
    const tabA = (await auth.refresh({ refreshToken: first.refreshToken })).tokens;
    server.clock.advanceSeconds(GRACE - 1);
    const tabB = (await auth.refresh({ refreshToken: first.refreshToken })).tokens;
    expect(tabB?.sessionId).toBe(first.sessionId);
    expect(tabB?.refreshToken).not.toBe(tabA?.refreshToken);
    // Both tabs keep working.
    expect((await auth.refresh({ refreshToken: tabA?.refreshToken ?? "" })).tokens?.sessionId).toBe(
      first.sessionId,
    );
    const tabBNext = (await auth.refresh({ refreshToken: tabB?.refreshToken ?? "" })).tokens;
    // The grace is used up: a third presentation is theft.
    expect(await codeOf(auth.refresh({ refreshToken: first.refreshToken }))).toBe("Unauthenticated");
    expect(await isActive(server, tabBNext?.accessToken ?? "")).toBe(false);
  });

  it("no grace for an older link of the chain", async () => {
    const first = await signIn(server, userId);
    const auth = server.client(AuthService);
    const second = (await auth.refresh({ refreshToken: first.refreshToken })).tokens;
    const third = (await auth.refresh({ refreshToken: second?.refreshToken ?? "" })).tokens;
    expect(await codeOf(auth.refresh({ refreshToken: first.refreshToken }))).toBe("Unauthenticated");
    expect(await isActive(server, third?.accessToken ?? "")).toBe(false);
  });

  it("refuses an unknown refresh token, and names the field when it is missing", async () => {
    const auth = server.client(AuthService);
    expect(await codeOf(auth.refresh({ refreshToken: "not-a-token" }))).toBe("Unauthenticated");
    const error = await auth.refresh({ refreshToken: "" }).catch((e) => ConnectError.from(e));
    expect(error).toMatchObject({ code: Code.InvalidArgument });
    expect((error as ConnectError).rawMessage).toContain("refresh_token");
  });
});

describe("listing and revocation", () => {
  it("ListSessions answers the caller's active sessions, newest first, marking the current one", async () => {
    const other = (await createUser(server)).id;
    const older = await signIn(server, other, { userAgent: "older" });
    server.clock.advanceSeconds(1);
    const newer = await signIn(server, other, { userAgent: "newer", amr: ["pwd", "otp"] });
    const res = await server.client(SessionService, "grpc-web", bearer(older.accessToken)).listSessions({});
    expect(res.sessions.map((s) => [s.id, s.userAgent, s.current])).toEqual([
      [newer.sessionId, "newer", false],
      [older.sessionId, "older", true],
    ]);
    expect(res.sessions[0]?.amr).toEqual(["pwd", "otp"]);
    expect(res.sessions[0]?.ipAddress).toBe("127.0.0.1");
    const current = await server.client(SessionService, "connect", bearer(newer.accessToken)).getSession({});
    expect(current.session?.id).toBe(newer.sessionId);
    expect(current.session?.current).toBe(true);
  });

  it.each(protocols)(
    "GetSession with a session_id answers another of the caller's sessions (%s)",
    async (protocol) => {
      const user = (await createUser(server)).id;
      const mine = await signIn(server, user);
      const laptop = await signIn(server, user, { userAgent: "laptop" });
      const res = await server
        .client(SessionService, protocol, bearer(mine.accessToken))
        .getSession({ sessionId: laptop.sessionId });
      expect([res.session?.id, res.session?.userAgent, res.session?.current]).toEqual([
        laptop.sessionId,
        "laptop",
        false,
      ]);
    },
  );

  it("GetSession answers NotFound for another user's session, an ended one, and checks the id", async () => {
    const mine = await signIn(server, userId);
    const ended = await signIn(server, userId);
    const stranger = await signIn(server, (await createUser(server)).id);
    const client = server.client(SessionService, "connect", bearer(mine.accessToken));
    await client.revokeSession({ sessionId: ended.sessionId });
    expect(await codeOf(client.getSession({ sessionId: stranger.sessionId }))).toBe("NotFound");
    expect(await codeOf(client.getSession({ sessionId: ended.sessionId }))).toBe("NotFound");
    const error = await client.getSession({ sessionId: "nope" }).catch((e) => ConnectError.from(e));
    expect(error).toMatchObject({ code: Code.InvalidArgument });
    expect((error as ConnectError).rawMessage).toContain("session_id");
  });

  it.each(protocols)("RevokeSession makes ValidateToken answer inactive at once (%s)", async (protocol) => {
    const mine = await signIn(server, userId);
    const victim = await signIn(server, userId);
    expect(await isActive(server, victim.accessToken)).toBe(true);
    await server
      .client(SessionService, protocol, bearer(mine.accessToken))
      .revokeSession({ sessionId: victim.sessionId });
    expect(await isActive(server, victim.accessToken)).toBe(false);
    expect(await codeOf(server.client(AuthService).refresh({ refreshToken: victim.refreshToken }))).toBe(
      "Unauthenticated",
    );
    expect(await isActive(server, mine.accessToken)).toBe(true);
  });

  it("RevokeSession cannot reach another user's session, and checks its argument", async () => {
    const mine = await signIn(server, userId);
    const stranger = await signIn(server, (await createUser(server)).id);
    const client = server.client(SessionService, "connect", bearer(mine.accessToken));
    expect(await codeOf(client.revokeSession({ sessionId: stranger.sessionId }))).toBe("NotFound");
    expect(await isActive(server, stranger.accessToken)).toBe(true);
    const error = await client.revokeSession({ sessionId: "" }).catch((e) => ConnectError.from(e));
    expect(error).toMatchObject({ code: Code.InvalidArgument });
    expect((error as ConnectError).rawMessage).toContain("session_id");
  });

  it("RevokeAllSessions can keep the current session", async () => {
    const user = (await createUser(server)).id;
    const a = await signIn(server, user);
    const b = await signIn(server, user);
    const c = await signIn(server, user);
    const res = await server
      .client(SessionService, "connect", bearer(a.accessToken))
      .revokeAllSessions({ endSessions: SessionScope.OTHERS });
    expect(res.revokedSessions).toBe(2);
    expect([
      await isActive(server, a.accessToken),
      await isActive(server, b.accessToken),
      await isActive(server, c.accessToken),
    ]).toEqual([true, false, false]);
  });

  it("needs a caller", async () => {
    expect(await codeOf(server.client(SessionService).listSessions({}))).toBe("Unauthenticated");
    expect(await codeOf(server.client(SessionService).getSession({}))).toBe("Unauthenticated");
    expect(await codeOf(server.client(AuthService).logout({}))).toBe("Unauthenticated");
  });
});

describe("Logout", () => {
  it.each([
    ["UNSPECIFIED", 1, [false, true, true]],
    ["CURRENT", 1, [false, true, true]],
    ["OTHERS", 2, [true, false, false]],
    ["ALL", 3, [false, false, false]],
  ] as const)("scope %s ends the right sessions", async (name, count, stillActive) => {
    const scope = SessionScope[name];
    const user = (await createUser(server)).id;
    const sessions = [await signIn(server, user), await signIn(server, user), await signIn(server, user)];
    const res = await server
      .client(AuthService, "grpc", bearer(sessions[0]?.accessToken ?? ""))
      .logout({ endSessions: scope });
    expect(res.revokedSessions).toBe(count);
    const active = [];
    for (const s of sessions) active.push(await isActive(server, s.accessToken));
    expect(active).toEqual(stillActive);
  });
});

describe("SessionScope (end_sessions)", () => {
  /** The InvalidArgument message of a refused scope, or "accepted". */
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => "accepted",
      (e) => {
        const error = ConnectError.from(e);
        return error.code === Code.InvalidArgument ? error.rawMessage : Code[error.code];
      },
    );

  it.each(protocols)(
    "a scope an RPC does not take answers InvalidArgument naming end_sessions, and ends nothing (%s)",
    async (protocol) => {
      const user = (await createUser(server)).id;
      const [mine, other] = [await signIn(server, user), await signIn(server, user)];
      const auth = server.client(AuthService, protocol, bearer(mine.accessToken));
      const sessions = server.client(SessionService, protocol, bearer(mine.accessToken));
      expect(await refusal(auth.logout({ endSessions: SessionScope.NONE }))).toMatch(
        /^end_sessions: must be one of SESSION_SCOPE_CURRENT/,
      );
      expect(await refusal(sessions.revokeAllSessions({ endSessions: SessionScope.CURRENT }))).toMatch(
        /^end_sessions: /,
      );
      expect(await refusal(sessions.revokeAllSessions({ endSessions: SessionScope.NONE }))).toMatch(
        /^end_sessions: /,
      );
      // A value from a newer contract is refused, not taken for the default.
      expect(await refusal(auth.logout({ endSessions: 99 as SessionScope }))).toMatch(/^end_sessions: /);
      expect([await isActive(server, mine.accessToken), await isActive(server, other.accessToken)]).toEqual([
        true,
        true,
      ]);
    },
  );

  it("RevokeAllSessions ends every session by default, the caller's too", async () => {
    const user = (await createUser(server)).id;
    const [mine, other] = [await signIn(server, user), await signIn(server, user)];
    const res = await server
      .client(SessionService, "connect", bearer(mine.accessToken))
      .revokeAllSessions({});
    expect(res.revokedSessions).toBe(2);
    expect([await isActive(server, mine.accessToken), await isActive(server, other.accessToken)]).toEqual([
      false,
      false,
    ]);
  });
});

describe("expiry", () => {
  it("a session unused for the idle timeout ends; use keeps it alive", async () => {
    const used = await signIn(server, userId);
    const idle = await signIn(server, userId);
    const auth = server.client(AuthService);
    server.clock.advanceSeconds(IDLE - 600);
    const next = (await auth.refresh({ refreshToken: used.refreshToken })).tokens;
    server.clock.advanceSeconds(601);
    expect(await codeOf(auth.refresh({ refreshToken: idle.refreshToken }))).toBe("Unauthenticated");
    // Authenticated use bumps last use too.
    expect(await isActive(server, next?.accessToken ?? "")).toBe(true);
    server.clock.advanceSeconds(IDLE - 60);
    const after = (await auth.refresh({ refreshToken: next?.refreshToken ?? "" })).tokens;
    expect(after?.sessionId).toBe(used.sessionId);
  });

  it("a session ends at its absolute lifetime however often it is refreshed", async () => {
    const tokens = await signIn(server, userId, { durationSeconds: 2 * 3600 });
    expect(tokens.refreshTokenExpiresAt).toBe(server.clock.now() + 2 * 3600 * 1000);
    const auth = server.client(AuthService);
    let refreshToken = tokens.refreshToken;
    let accessToken = tokens.accessToken;
    for (let elapsed = 0; elapsed + 1800 < 2 * 3600; elapsed += 1800) {
      server.clock.advanceSeconds(1800);
      const next = (await auth.refresh({ refreshToken })).tokens;
      refreshToken = next?.refreshToken ?? "";
      accessToken = next?.accessToken ?? "";
      // Refreshing never extends the session, and no access token outlives it.
      expect(next?.refreshTokenExpireTime?.seconds).toBe(BigInt(tokens.refreshTokenExpiresAt / 1000));
      expect(Number(next?.accessTokenExpireTime?.seconds) * 1000).toBeLessThanOrEqual(
        tokens.refreshTokenExpiresAt,
      );
    }
    server.clock.advanceSeconds(1800);
    expect(await codeOf(auth.refresh({ refreshToken }))).toBe("Unauthenticated");
    expect(await isActive(server, accessToken)).toBe(false);
  });

  it("a requested lifetime is capped at AUTHD_SESSION_MAX_TTL; none means AUTHD_SESSION_TTL", async () => {
    const long = await signIn(server, userId, { durationSeconds: 365 * 86400 });
    expect(long.refreshTokenExpiresAt - server.clock.now()).toBe(8 * 3600 * 1000);
    const byDefault = await signIn(server, userId);
    expect(byDefault.refreshTokenExpiresAt - server.clock.now()).toBe(4 * 3600 * 1000);
  });
});

describe("on PostgreSQL", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pgServer: TestServer;
  beforeAll(async () => {
    db = await createTestDatabase();
    pgServer = await startTestServer({ AUTHD_DATABASE_URL: db.url });
  });
  afterAll(async () => {
    await pgServer?.close();
    await db?.drop();
  });

  it("of two concurrent refreshes with one token, one rotates it and the other gets the one grace answer; a reuse then revokes", async () => {
    const user = (await createUser(pgServer)).id;
    const auth = pgServer.client(AuthService, "grpc");
    // Several rounds, each on its own session: a round whose two requests do not overlap proves
    // nothing about the race, and some must.
    for (let round = 0; round < 6; round++) {
      const first = await signIn(pgServer, user);
      const second = (await auth.refresh({ refreshToken: first.refreshToken })).tokens;
      expect(await isActive(pgServer, second?.accessToken ?? "")).toBe(true);
      const both = await Promise.allSettled([
        auth.refresh({ refreshToken: second?.refreshToken ?? "" }),
        auth.refresh({ refreshToken: second?.refreshToken ?? "" }),
      ]);
      expect(both.map((r) => r.status)).toEqual(["fulfilled", "fulfilled"]);
      // Only one of them rotated the token: the other used the token's single grace presentation,
      // so a third presentation, still within the grace period, is a reuse. (Had both rotated it,
      // the grace would be unused and this would answer new tokens.)
      const third = await codeOf(auth.refresh({ refreshToken: second?.refreshToken ?? "" }));
      expect(third, `round ${round}: a third presentation within the grace period`).toBe("Unauthenticated");
      for (const r of both) {
        if (r.status === "fulfilled")
          expect(await isActive(pgServer, r.value.tokens?.accessToken ?? "")).toBe(false);
      }
      expect(await codeOf(auth.refresh({ refreshToken: first.refreshToken }))).toBe("Unauthenticated");
    }
  });
});
