// Second security review, the findings that show on PostgreSQL: a client's mistake must never answer
// Internal there either (SQLite stores what PostgreSQL's bigint columns refuse).
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, expect, test } from "vitest";
import { AuthService } from "../../../gen/authd/v1/auth_pb.js";
import { SessionService } from "../../../gen/authd/v1/session_pb.js";
import { issueToken } from "../../../src/domain/one-time-tokens.js";
import { expectCode } from "../../helpers/accounts.js";
import { forEachDatabase } from "../../helpers/databases.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import { bearer, createUser, PASSWORD, signIn } from "../../helpers/sessions.js";
import { inTransaction } from "../../helpers/transaction.js";

forEachDatabase("API key expiry", (database) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(await database.env());
  });
  afterAll(async () => {
    await server.close();
  });

  test("an expire_time beyond any storable time answers invalid_argument naming the field", async () => {
    const user = await createUser(server);
    const tokens = await signIn(server, user.id);
    const sessions = server.client(SessionService, "connect", bearer(tokens.accessToken));
    const farFuture = { seconds: 9_000_000_000_000_000_000n, nanos: 0 };
    await expectCode(
      sessions.createApiKey({
        name: "k",
        scopes: ["profile:read"],
        currentPassword: PASSWORD,
        expireTime: farFuture,
      }),
      Code.InvalidArgument,
      /expire_time/,
    );
    const ok = await sessions.createApiKey({
      name: "k",
      scopes: ["profile:read"],
      currentPassword: PASSWORD,
      expireTime: timestampFromMs(server.clock.now() + 3600_000),
    });
    expect(ok.secret).toMatch(/^authd_/);
  });
});

forEachDatabase("a NUL character from a client", (database) => {
  let server: TestServer;
  let sessions: ReturnType<typeof server.client<typeof SessionService>>;
  let auth: ReturnType<typeof server.client<typeof AuthService>>;

  beforeAll(async () => {
    server = await startTestServer(await database.env());
    const user = await createUser(server);
    const tokens = await signIn(server, user.id);
    sessions = server.client(SessionService, "connect", bearer(tokens.accessToken));
    auth = server.client(AuthService, "connect", bearer(tokens.accessToken));
  });
  afterAll(async () => {
    await server.close();
  });

  test("in a sign-in identifier answers like any unknown account", async () => {
    await expectCode(
      server.client(AuthService).login({ identifier: "ali\u0000ce", password: PASSWORD }),
      Code.Unauthenticated,
      /invalid credentials/,
    );
  });

  test("in an API key name answers invalid_argument naming the field", async () => {
    await expectCode(
      sessions.createApiKey({ name: "deploy\u0000", scopes: ["profile:read"], currentPassword: PASSWORD }),
      Code.InvalidArgument,
      /name/,
    );
  });

  test("in a setting's value answers invalid_argument naming the field", async () => {
    await expectCode(
      auth.updateCurrentUser({ settings: { theme: "da\u0000rk" } }),
      Code.InvalidArgument,
      /settings/,
    );
  });
});

forEachDatabase("two accounts claiming one username at once", (database) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(await database.env());
  });
  afterAll(async () => {
    await server.close();
  });

  test("one wins and the other is told the username is taken, never Internal", async () => {
    const clients = [];
    for (let i = 0; i < 2; i++) {
      const user = await createUser(server);
      const tokens = await signIn(server, user.id);
      clients.push(server.client(AuthService, "connect", bearer(tokens.accessToken)));
    }
    for (let round = 0; round < 8; round++) {
      const username = `contested-${round}`;
      const outcomes = await Promise.all(
        clients.map((c) =>
          c.updateCurrentUser({ username, currentPassword: PASSWORD }).then(
            () => "OK",
            (e) => Code[ConnectError.from(e).code],
          ),
        ),
      );
      expect(outcomes.sort()).toEqual(["AlreadyExists", "OK"]);
    }
  });
});

forEachDatabase("two accounts confirming a move to one email at once", (database) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(await database.env());
  });
  afterAll(async () => {
    await server.close();
  });

  test("one wins and the other is told the address is in use, never Internal", async () => {
    const auth = server.client(AuthService);
    for (let round = 0; round < 6; round++) {
      const email = `contested-${round}@example.com`;
      const links: string[] = [];
      for (let i = 0; i < 2; i++) {
        const user = await createUser(server);
        // The links UpdateCurrentUser would have mailed to the contested address.
        const issued = await inTransaction(server.db, (tx) =>
          issueToken(tx, server.clock.now(), "change_email", user.id, 3600, { email }),
        );
        links.push(issued.token);
      }
      const outcomes = await Promise.all(
        links.map((token) =>
          auth.verifyEmail({ token }).then(
            () => "OK",
            (e) => Code[ConnectError.from(e).code],
          ),
        ),
      );
      expect(outcomes.sort()).toEqual(["FailedPrecondition", "OK"]);
    }
  });
});
