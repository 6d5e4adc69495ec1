// The two Node backends of examples/, run as their READMEs say, against a real authd: one checks
// access tokens offline against authd's JWKS (examples/node-jwks), the other asks authd with
// ValidateToken over gRPC (examples/node-grpc).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AccountsHarness, PASSWORD, startAccountsHarness } from "../../helpers/accounts.js";
import { type RunningExample, startNodeExample } from "../../helpers/examples.js";

let h: AccountsHarness;
let jwks: RunningExample;
let grpc: RunningExample;
let n = 0;

beforeAll(async () => {
  h = await startAccountsHarness();
  // The examples check expiry against the real time: authd's test clock starts there too.
  h.server.clock.advance(Date.now() - h.server.clock.now());
  const { issuer } = (await (await fetch(`${h.server.url}/.well-known/openid-configuration`)).json()) as {
    issuer: string;
  };
  [jwks, grpc] = await Promise.all([
    startNodeExample("examples/node-jwks/server.ts", {
      AUTHD_URL: h.server.url,
      AUTHD_ISSUER: issuer,
      PORT: "0",
    }),
    startNodeExample("examples/node-grpc/server.ts", { AUTHD_URL: h.server.url, PORT: "0" }),
  ]);
}, 60_000);
afterAll(async () => {
  await Promise.all([jwks?.stop(), grpc?.stop()]);
  await h?.close();
});

/** A verified account, signed in: its id and tokens. */
async function signedIn() {
  const email = `example${++n}@example.com`;
  await h.signUp(email);
  const tokens = await h.login(email, PASSWORD);
  const userId = (await h.authed(tokens.accessToken).getCurrentUser({})).user?.id as string;
  return { userId, tokens };
}

async function hello(example: RunningExample, token?: string) {
  const res = await fetch(`${example.url}/hello`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  return {
    status: res.status,
    body: res.status === 200 ? ((await res.json()) as Record<string, unknown>) : null,
  };
}

describe("examples/node-jwks: access tokens checked offline with jose against the JWKS", () => {
  it("lets in the holder of an access token, by its subject", async () => {
    const { userId, tokens } = await signedIn();
    expect(await hello(jwks, tokens.accessToken)).toEqual({ status: 200, body: { hello: userId } });
  });

  it("refuses no token, a tampered one, a refresh token and an expired one", async () => {
    const { tokens } = await signedIn();
    const [header, payload, signature] = tokens.accessToken.split(".") as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as Record<string, unknown>;
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: "someone-else" })).toString("base64url")}.${signature}`;
    expect((await hello(jwks)).status).toBe(401);
    expect((await hello(jwks, tampered)).status).toBe(401);
    expect((await hello(jwks, tokens.refreshToken)).status).toBe(401);
    // A token issued two hours ago has expired (access tokens live 15 minutes by default).
    h.server.clock.advanceSeconds(-7200);
    try {
      const old = await signedIn();
      expect((await hello(jwks, old.tokens.accessToken)).status).toBe(401);
    } finally {
      h.server.clock.advanceSeconds(7200);
    }
  });
});

describe("examples/node-grpc: tokens checked by authd with ValidateToken over gRPC", () => {
  it("lets in the holder of an access token, by its subject", async () => {
    const { userId, tokens } = await signedIn();
    expect(await hello(grpc, tokens.accessToken)).toEqual({
      status: 200,
      body: { hello: userId, kind: "ACCESS_TOKEN", roles: [] },
    });
  });

  it("refuses no token and one that is not authd's", async () => {
    expect((await hello(grpc)).status).toBe(401);
    expect((await hello(grpc, "not-a-token")).status).toBe(401);
  });

  it("refuses the token of a signed-out session at once, where the offline check accepts it until it expires", async () => {
    const { tokens } = await signedIn();
    await h.authed(tokens.accessToken).logout({});
    expect((await hello(grpc, tokens.accessToken)).status).toBe(401);
    expect((await hello(jwks, tokens.accessToken)).status).toBe(200);
  });
});
