// `authd keys retire`: withdrawing a compromised signing key at once, run as an operator runs it (a
// separate process, through tsx as tokens.test.ts runs `keys rotate`: no build) against a real server
// on the same database. The server is then a replica that learns of the withdrawal from the database.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Code } from "@connectrpc/connect";
import { decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthService } from "../../../gen/authd/v1/auth_pb.js";
import { SessionService } from "../../../gen/authd/v1/session_pb.js";
import { REVOCATION_BOUND_MS } from "../../../src/domain/sessions/session-cache.js";
import { expectCode } from "../../helpers/accounts.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import { bearer, createUser, PASSWORD } from "../../helpers/sessions.js";

const run = promisify(execFile);
let server: TestServer;
let email: string;

beforeAll(async () => {
  server = await startTestServer();
  // The command runs on the real clock; keep the server's clock near it.
  server.clock.set(Date.now());
  email = (await createUser(server)).email;
});
afterAll(() => server.close());

/** Runs `authd keys ...` on the server's database; answers its exit code and output. */
async function keys(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run("npx", ["tsx", "src/main.ts", "keys", ...args], {
      env: { ...process.env, AUTHD_DATA_DIR: server.dataDir, AUTHD_LOG_LEVEL: "silent" },
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function login() {
  const res = await server.client(AuthService).login({ identifier: email, password: PASSWORD });
  if (res.result.case !== "tokens") throw new Error(`expected tokens, got ${res.result.case}`);
  return res.result.value;
}

const isActive = async (token: string) =>
  (await server.client(SessionService).validateToken({ token })).active;
const currentUser = (token: string) =>
  server.client(AuthService, "connect", bearer(token)).getCurrentUser({});
const publishedKids = async () =>
  (
    (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> }
  ).keys.map((k) => k.kid);
const kidOf = (token: string) => decodeProtectedHeader(token).kid as string;

/** Polls `check` until it answers true, for at most `ms` of real time; answers whether it did. */
async function within(ms: number, check: () => Promise<boolean>): Promise<boolean> {
  const started = performance.now();
  for (;;) {
    if (await check()) return true;
    if (performance.now() - started > ms) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("authd keys retire", () => {
  it("withdraws the current key at once: its tokens stop validating, it leaves the JWKS, sessions refresh onto the new key", async () => {
    const before = await login();
    const oldKid = kidOf(before.accessToken);
    // Verified once, so the server also remembers the token as valid.
    expect(await isActive(before.accessToken)).toBe(true);
    expect((await currentUser(before.accessToken)).user?.email).toBe(email);

    const retired = await keys("retire");
    expect(retired.code, retired.stderr).toBe(0);
    const newKid = retired.stdout.trim();
    expect(newKid).not.toBe(oldKid);

    // The server learns of it from the database within the session cache's bound (real time; the
    // margin is for a busy machine), without its clock moving.
    expect(await within(REVOCATION_BOUND_MS + 2000, async () => !(await isActive(before.accessToken)))).toBe(
      true,
    );
    await expectCode(currentUser(before.accessToken), Code.Unauthenticated);
    expect(await publishedKids()).not.toContain(oldKid);
    expect(await publishedKids()).toContain(newKid);

    // The session survives: its refresh token is not signed, and the next access token is the new key's.
    const refreshed = await server.client(AuthService).refresh({ refreshToken: before.refreshToken });
    const fresh = refreshed.tokens?.accessToken ?? "";
    expect(kidOf(fresh)).toBe(newKid);
    expect(await isActive(fresh)).toBe(true);
    expect((await currentUser(fresh)).user?.email).toBe(email);
  });

  it("withdraws a named key that is no longer current, and leaves the current key as it is", async () => {
    const before = await login();
    const oldKid = kidOf(before.accessToken);
    const rotated = await keys("rotate");
    expect(rotated.code, rotated.stderr).toBe(0);
    const current = rotated.stdout.trim();
    // Rotation alone: the old key still verifies.
    expect(await isActive(before.accessToken)).toBe(true);

    const retired = await keys("retire", "--kid", oldKid);
    expect(retired.code, retired.stderr).toBe(0);
    expect(retired.stdout.trim()).toBe(current);
    expect(await within(REVOCATION_BOUND_MS + 2000, async () => !(await isActive(before.accessToken)))).toBe(
      true,
    );
    expect(await publishedKids()).toEqual([current]);
    expect(kidOf((await login()).accessToken)).toBe(current);

    // Both operations are in the audit trail, with the kids and the command line as the actor.
    const events: Array<{ type: string; detail: string; user_agent: string }> = await server.db.transaction(
      (em) =>
        em.query(
          "SELECT type, detail, user_agent FROM audit_events WHERE type LIKE 'signing_key.%' ORDER BY id",
        ),
    );
    expect(events.slice(-2).map((e) => [e.type, JSON.parse(e.detail)])).toEqual([
      ["signing_key.rotated", { kid: current }],
      ["signing_key.withdrawn", { kid: oldKid, current }],
    ]);
    expect(events.at(-1)?.user_agent).toMatch(/authd keys/);
  });

  it("names an unknown kid and exits 1; refuses an unknown option with the usage and exits 2", async () => {
    const unknown = await keys("retire", "--kid", "no-such-kid");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no signing key has kid "no-such-kid"');
    const bad = await keys("retire", "--everything");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("usage: authd keys");
  });
});
