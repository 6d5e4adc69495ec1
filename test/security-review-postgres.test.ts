// Second security review, the findings that show on PostgreSQL: a client's mistake must never answer
// Internal there either (SQLite stores what PostgreSQL's bigint columns refuse).
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SessionService } from "../gen/authd/v1/session_pb.js";
import { expectCode } from "./helpers/accounts.js";
import { createTestDatabase } from "./helpers/postgres.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { bearer, createUser, PASSWORD, signIn } from "./helpers/sessions.js";

const databases = ["sqlite", "postgres"] as const;

describe.each(databases)("API key expiry on %s", (database) => {
  let server: TestServer;
  let drop: () => Promise<void> = async () => undefined;

  beforeAll(async () => {
    let env = {};
    if (database === "postgres") {
      const db = await createTestDatabase();
      drop = db.drop;
      env = { AUTHD_DATABASE_URL: db.url };
    }
    server = await startTestServer(env);
  });
  afterAll(async () => {
    await server.close();
    await drop();
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
        password: PASSWORD,
        expireTime: farFuture,
      }),
      Code.InvalidArgument,
      /expire_time/,
    );
    const ok = await sessions.createApiKey({
      name: "k",
      scopes: ["profile:read"],
      password: PASSWORD,
      expireTime: timestampFromMs(server.clock.now() + 3600_000),
    });
    expect(ok.secret).toMatch(/^authd_/);
  });
});
