// Paging of ListSessions and ListApiKeys through a real server: pages cover the list exactly once,
// newest first (ties on the creation time broken by id), filters by creation time, and every page
// token authd did not make answers InvalidArgument naming page_token, never Internal. Also on
// PostgreSQL, whose keyset comparison must agree with SQLite's.
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SessionService } from "../../../gen/authd/v1/session_pb.js";
import { DEFAULT_PAGE_SIZE, keysetQuery, MAX_PAGE_SIZE } from "../../../src/domain/paging.js";
import { ApiKeyEntity } from "../../../src/store/entities/api-key.js";
import { forEachDatabase } from "../../helpers/databases.js";
import { type Protocol, protocols, startTestServer, type TestServer } from "../../helpers/server.js";
import { bearer, createUser, signIn } from "../../helpers/sessions.js";

/** A user with `count` sessions, one second apart except the last two, made in the same millisecond. */
async function userWithSessions(server: TestServer, count: number) {
  const user = await createUser(server);
  const made: { sessionId: string; createdAt: number; accessToken: string }[] = [];
  for (let i = 0; i < count; i++) {
    if (i < count - 1) server.clock.advanceSeconds(1);
    const tokens = await signIn(server, user.id, { userAgent: `device ${i}` });
    made.push({
      sessionId: tokens.sessionId,
      createdAt: server.clock.now(),
      accessToken: tokens.accessToken,
    });
  }
  // Newest first; within one millisecond, the larger id first.
  const expected = [...made].sort(
    (a, b) => b.createdAt - a.createdAt || (a.sessionId < b.sessionId ? 1 : -1),
  );
  return { user, made, expected, caller: made[0]?.accessToken as string };
}

async function allPages(list: (pageToken: string) => Promise<{ ids: string[]; next: string }>) {
  const pages: string[][] = [];
  let token = "";
  do {
    const page = await list(token);
    pages.push(page.ids);
    token = page.next;
  } while (token !== "" && pages.length < 50);
  return pages;
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => "ok",
    (e) => {
      const error = ConnectError.from(e);
      return `${Code[error.code]}: ${error.rawMessage}`;
    },
  );

function sessionsOf(server: TestServer, accessToken: string, protocol: Protocol = "connect") {
  return server.client(SessionService, protocol, bearer(accessToken));
}

forEachDatabase("paging", (database) => {
  describe("of ListSessions and ListApiKeys", () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(await database.env());
    });
    afterAll(async () => {
      await server?.close();
    });

    it.each(protocols)("ListSessions pages cover every session once, newest first (%s)", async (protocol) => {
      const { expected, caller } = await userWithSessions(server, 7);
      const client = sessionsOf(server, caller, protocol);
      const pages = await allPages(async (pageToken) => {
        const res = await client.listSessions({ pageSize: 3, pageToken });
        return { ids: res.sessions.map((s) => s.id), next: res.nextPageToken };
      });
      expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
      expect(pages.flat()).toEqual(expected.map((s) => s.sessionId));
    });

    it("ListSessions filters by creation time, and a session ended between pages is simply left out", async () => {
      const { made, expected, caller } = await userWithSessions(server, 6);
      const client = sessionsOf(server, caller);
      const [oldest, second] = made;
      const createdAfter = timestampFromMs(oldest?.createdAt ?? 0);
      const createdBefore = timestampFromMs(made[4]?.createdAt ?? 0);
      const filtered = await client.listSessions({ createdAfter, createdBefore });
      expect(filtered.sessions.map((s) => s.id)).toEqual(
        expected
          .filter((s) => s.createdAt > (oldest?.createdAt ?? 0) && s.createdAt < (made[4]?.createdAt ?? 0))
          .map((s) => s.sessionId),
      );
      const first = await client.listSessions({ pageSize: 2 });
      await client.revokeSession({ sessionId: second?.sessionId ?? "" });
      const rest = await client.listSessions({ pageSize: 10, pageToken: first.nextPageToken });
      expect([...first.sessions, ...rest.sessions].map((s) => s.id)).toEqual(
        expected.map((s) => s.sessionId).filter((id) => id !== second?.sessionId),
      );
    });

    it("ListApiKeys pages cover every key once, newest first, revoked ones included", async () => {
      const user = await createUser(server);
      const ids: string[] = [];
      const base = server.clock.now();
      await server.db.transaction(async (em) => {
        for (let i = 0; i < 5; i++) {
          const id = `00000000-0000-4000-8000-00000000000${i}`;
          ids.push(id);
          await em.insert(ApiKeyEntity, {
            id,
            userId: user.id,
            name: `key ${i}`,
            prefix: `authd_k${i}`,
            secretHash: `${i}`.repeat(64),
            scopes: ["sessions:read"],
            // Keys 3 and 4 share a creation time: the larger id comes first.
            createdAt: base + Math.min(i, 3) * 1000,
            expiresAt: null,
            lastUsedAt: null,
            revokedAt: i === 1 ? base + 10_000 : null,
          });
        }
      });
      const caller = (await signIn(server, user.id)).accessToken;
      const client = sessionsOf(server, caller, "grpc");
      const pages = await allPages(async (pageToken) => {
        const res = await client.listApiKeys({ pageSize: 2, pageToken });
        return { ids: res.apiKeys.map((k) => k.id), next: res.nextPageToken };
      });
      expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
      expect(pages.flat()).toEqual([ids[4], ids[3], ids[2], ids[1], ids[0]]);
      const after = timestampFromMs(base + 2500);
      const recent = await client.listApiKeys({ createdAfter: after });
      expect(recent.apiKeys.map((k) => k.id)).toEqual([ids[4], ids[3]]);
      expect(recent.nextPageToken).toBe("");
    });

    it("a page token authd did not make, or made for other filters or another list, answers InvalidArgument naming page_token", async () => {
      const { caller } = await userWithSessions(server, 3);
      const client = sessionsOf(server, caller);
      const { nextPageToken } = await client.listSessions({ pageSize: 1 });
      expect(nextPageToken).not.toBe("");
      const body = JSON.parse(Buffer.from(nextPageToken, "base64url").toString("utf8"));
      const forge = (patch: Record<string, unknown>) =>
        Buffer.from(JSON.stringify({ ...body, ...patch }), "utf8").toString("base64url");
      const refusals = [
        await failure(client.listSessions({ pageToken: "garbage!" })),
        await failure(client.listSessions({ pageToken: "bm90IGpzb24" })),
        await failure(client.listSessions({ pageToken: forge({ c: "yesterday" }) })),
        await failure(client.listSessions({ pageToken: forge({ i: "'; DROP TABLE sessions; --" }) })),
        await failure(client.listSessions({ pageToken: "A".repeat(600) })),
        await failure(client.listApiKeys({ pageToken: nextPageToken })),
        await failure(client.listSessions({ pageToken: nextPageToken, createdAfter: timestampFromMs(0) })),
      ];
      for (const refusal of refusals) expect(refusal).toMatch(/^InvalidArgument: page_token: /);
      expect(await failure(client.listSessions({ pageSize: -1 }))).toMatch(/^InvalidArgument: page_size: /);
      expect(
        await failure(
          client.listSessions({ createdAfter: timestampFromMs(2000), createdBefore: timestampFromMs(1000) }),
        ),
      ).toMatch(/^InvalidArgument: created_before: /);
    });

    it("any page token at all answers a page or InvalidArgument, never another code", async () => {
      const { caller } = await userWithSessions(server, 2);
      const client = sessionsOf(server, caller);
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.string({ maxLength: 80 }),
            fc
              .record({
                l: fc.constantFrom("sessions", "api_keys", ""),
                c: fc.anything(),
                i: fc.anything(),
                a: fc.anything(),
                b: fc.anything(),
              })
              .map((b) => Buffer.from(JSON.stringify(b) ?? "", "utf8").toString("base64url")),
          ),
          async (pageToken) => {
            const outcome = await failure(client.listSessions({ pageToken }));
            expect(outcome === "ok" || outcome.startsWith("InvalidArgument: page_token")).toBe(true);
          },
        ),
        { numRuns: 60 },
      );
    });
  });
});

describe("page size", () => {
  it("0 means the default and a larger size is lowered to the maximum", () => {
    expect(keysetQuery("sessions", { pageSize: 0, pageToken: "" }).limit).toBe(DEFAULT_PAGE_SIZE + 1);
    expect(keysetQuery("sessions", { pageSize: 10_000, pageToken: "" }).limit).toBe(MAX_PAGE_SIZE + 1);
  });
});
