import { Code } from "@connectrpc/connect";
import * as jose from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthService } from "../../../gen/authd/v1/auth_pb.js";
import { SessionScope } from "../../../gen/authd/v1/common_pb.js";
import { SessionService } from "../../../gen/authd/v1/session_pb.js";
import { PasswordHasher } from "../../../src/domain/passwords.js";
import { AuditEventEntity } from "../../../src/store/entities/audit-event.js";
import { UserEntity } from "../../../src/store/entities/user.js";
import { type AccountsHarness, expectCode, PASSWORD, startAccountsHarness } from "../../helpers/accounts.js";
import { protocols, startTestServer } from "../../helpers/server.js";

let h: AccountsHarness;

beforeAll(async () => {
  h = await startAccountsHarness({ AUTHD_LOGIN_MAX_FAILURES: "3", AUTHD_LOCKOUT_SECONDS: "900" });
  await h.signUp("ada@example.com", PASSWORD, "ada");
});
afterAll(() => h.close());

const users = () => h.server.db;

describe("Login", () => {
  it.each(protocols)("signs in by email over %s and answers a token pair", async (protocol) => {
    const tokens = await h.login("ada@example.com", PASSWORD, protocol);
    expect(tokens.accessToken.split(".")).toHaveLength(3);
    expect(tokens.refreshToken.length).toBeGreaterThanOrEqual(43);
    expect(tokens.tokenType).toBe("Bearer");
    const me = await h.authed(tokens.accessToken, protocol).getCurrentUser({});
    expect(me.user?.email).toBe("ada@example.com");
  });

  it("signs in by username, case-insensitively", async () => {
    const tokens = await h.login("ADA");
    expect(tokens.sessionId).not.toBe("");
  });

  it("issues a token whose claims an outside backend can check against the JWKS", async () => {
    const tokens = await h.login("ada@example.com");
    const jwks = jose.createRemoteJWKSet(new URL(`${h.server.url}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jose.jwtVerify(tokens.accessToken, jwks, {
      currentDate: new Date(h.server.clock.now()),
      issuer: h.server.app.config.issuer,
      audience: h.server.app.config.audience,
      typ: "at+jwt",
    });
    expect(protectedHeader.alg).toBe("EdDSA");
    expect(payload.sid).toBe(tokens.sessionId);
    expect(payload.amr).toEqual(["pwd"]);
  });

  it("creates a new session at every sign-in", async () => {
    const a = await h.login("ada@example.com");
    const b = await h.login("ada@example.com");
    expect(a.sessionId).not.toBe(b.sessionId);
  });

  it("verifies the whole password: an 80-character password does not match its first 72", async () => {
    const long = "a long passphrase that goes on and on past the seventy-two byte limit of bcrypt!";
    expect(long.length).toBeGreaterThan(72);
    await h.signUp("longpass@example.com", long);
    await expectCode(
      h.auth.login({ identifier: "longpass@example.com", password: long.slice(0, 72) }),
      Code.Unauthenticated,
    );
    await h.login("longpass@example.com", long);
  });

  it("does not fold case, but does normalise Unicode (NFKC)", async () => {
    await h.signUp("nfkc@example.com", "ｆｕｌｌｗｉｄｔｈ ｐａｓｓ ７");
    await h.login("nfkc@example.com", "fullwidth pass 7");
    await expectCode(
      h.auth.login({ identifier: "nfkc@example.com", password: "FULLWIDTH PASS 7" }),
      Code.Unauthenticated,
    );
  });

  it("answers an unknown account exactly like a wrong password", async () => {
    const unknown = await expectCode(
      h.auth.login({ identifier: "ghost@example.com", password: PASSWORD }),
      Code.Unauthenticated,
    );
    const wrong = await expectCode(
      h.auth.login({ identifier: "ada@example.com", password: "wrong password!" }),
      Code.Unauthenticated,
    );
    expect(unknown.rawMessage).toBe(wrong.rawMessage);
    // One failure must not lock; a correct sign-in resets the count.
    await h.login("ada@example.com");
  });

  it("reveals an unverified email only after the right password", async () => {
    await h.auth.register({ email: "unverified@example.com", password: PASSWORD });
    await h.server.afterReply.settled();
    await expectCode(
      h.auth.login({ identifier: "unverified@example.com", password: "not the password" }),
      Code.Unauthenticated,
    );
    await expectCode(
      h.auth.login({ identifier: "unverified@example.com", password: PASSWORD }),
      Code.FailedPrecondition,
      /not verified/,
    );
  });

  it("refuses empty fields naming them", async () => {
    await expectCode(h.auth.login({ identifier: "", password: "x" }), Code.InvalidArgument, /identifier/);
    await expectCode(h.auth.login({ identifier: "ada", password: "" }), Code.InvalidArgument, /password/);
  });

  it("signs out every other session when asked", async () => {
    const first = await h.login("ada@example.com");
    const res = await h.auth.login({
      identifier: "ada@example.com",
      password: PASSWORD,
      endSessions: SessionScope.OTHERS,
    });
    if (res.result.case !== "tokens") throw new Error("expected tokens");
    await expectCode(h.authed(first.accessToken).getCurrentUser({}), Code.Unauthenticated);
    await h.authed(res.result.value.accessToken).getCurrentUser({});
  });

  it("refuses a sign-in end_sessions other than NONE or OTHERS, before checking the password", async () => {
    for (const endSessions of [SessionScope.CURRENT, SessionScope.ALL]) {
      await expectCode(
        h.auth.login({ identifier: "ada@example.com", password: PASSWORD, endSessions }),
        Code.InvalidArgument,
        /^end_sessions: must be one of SESSION_SCOPE_NONE, SESSION_SCOPE_OTHERS$/,
      );
    }
  });

  it("records successes and failures in the audit trail", async () => {
    const user = await users().transaction((em) =>
      em.findOneByOrFail(UserEntity, { email: "ada@example.com" }),
    );
    const types = (await users().transaction((em) => em.findBy(AuditEventEntity, { userId: user.id }))).map(
      (e) => e.type,
    );
    expect(types).toEqual(expect.arrayContaining(["login.succeeded", "login.failed"]));
  });
});

describe("lockout", () => {
  it("locks after too many failures, then answers even the right password like a wrong one until the lock ends", async () => {
    await h.signUp("lock@example.com");
    for (let i = 0; i < 3; i++) {
      await expectCode(
        h.auth.login({ identifier: "lock@example.com", password: `wrong-${i}-password` }),
        Code.Unauthenticated,
      );
    }
    await expectCode(
      h.auth.login({ identifier: "lock@example.com", password: "wrong again pass" }),
      Code.Unauthenticated,
    );
    const locked = await expectCode(
      h.auth.login({ identifier: "lock@example.com", password: PASSWORD }),
      Code.Unauthenticated,
      /invalid credentials/,
    );
    expect(locked.metadata.get("retry-after")).toBeNull();
    h.server.clock.advanceSeconds(901);
    await h.login("lock@example.com");
  });

  it("a password reset lifts the lock", async () => {
    await h.signUp("reset-lock@example.com");
    for (let i = 0; i < 3; i++) {
      await expectCode(
        h.auth.login({ identifier: "reset-lock@example.com", password: `wrong-${i}-password` }),
        Code.Unauthenticated,
      );
    }
    await expectCode(
      h.auth.login({ identifier: "reset-lock@example.com", password: PASSWORD }),
      Code.Unauthenticated,
    );
    await h.auth.requestPasswordReset({ email: "reset-lock@example.com" });
    const mail = await h.mailTo("reset-lock@example.com", /reset/i);
    const token = /token=([\w-]+)/.exec(mail.text)?.[1] ?? "";
    await h.auth.resetPassword({ token, newPassword: "a brand new passphrase" });
    await h.login("reset-lock@example.com", "a brand new passphrase");
  });

  it("limits failed sign-ins per client IP", async () => {
    const strict = await startAccountsHarness({ AUTHD_LOGIN_MAX_FAILURES_PER_IP: "2" });
    try {
      for (const who of ["a@example.com", "b@example.com"]) {
        await expectCode(
          strict.auth.login({ identifier: who, password: "guess guess" }),
          Code.Unauthenticated,
        );
      }
      await expectCode(
        strict.auth.login({ identifier: "c@example.com", password: "guess guess" }),
        Code.ResourceExhausted,
        /try again in/,
      );
      strict.server.clock.advanceSeconds(3601);
      await expectCode(
        strict.auth.login({ identifier: "c@example.com", password: "guess guess" }),
        Code.Unauthenticated,
      );
    } finally {
      await strict.close();
    }
  });
});

describe("password hashes", () => {
  it("upgrades a hash made with older argon2 costs at the next successful sign-in", async () => {
    await h.signUp("upgrade@example.com");
    const weak = await new PasswordHasher({ memoryKib: 1024, iterations: 2, parallelism: 1 }).hash(PASSWORD);
    await users().transaction((em) =>
      em.update(UserEntity, { email: "upgrade@example.com" }, { passwordHash: weak }),
    );
    await h.login("upgrade@example.com");
    const after = await users().transaction((em) =>
      em.findOneByOrFail(UserEntity, { email: "upgrade@example.com" }),
    );
    expect(after.passwordHash).not.toBe(weak);
    expect(after.passwordHash).toContain("m=1024,p=1,t=1");
    await h.login("upgrade@example.com");
  });

  it("a server started without argon2 settings stores argon2id hashes with OWASP's parameters (19 MiB, t=2, p=1)", async () => {
    // The suite's servers run with small costs; this one leaves every AUTHD_ARGON2_* unset, as an
    // operator who never heard of them would, and reads what Register stored.
    const defaults = await startTestServer({
      AUTHD_ARGON2_MEMORY_KIB: undefined,
      AUTHD_ARGON2_ITERATIONS: undefined,
      AUTHD_ARGON2_PARALLELISM: undefined,
    });
    try {
      await defaults.client(AuthService).register({ email: "owasp@example.com", password: PASSWORD });
      await defaults.afterReply.settled();
      const stored = await defaults.db.transaction((em) =>
        em.findOneByOrFail(UserEntity, { email: "owasp@example.com" }),
      );
      // argon2's PHC string lists the parameters in the order m, p, t.
      expect(stored.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    } finally {
      await defaults.close();
    }
  });
});

describe("Refresh and Logout", () => {
  it("rotates the refresh token; the old one then fails", async () => {
    const first = await h.login("ada@example.com");
    const next = await h.auth.refresh({ refreshToken: first.refreshToken });
    expect(next.tokens?.refreshToken).not.toBe(first.refreshToken);
    expect(next.tokens?.sessionId).toBe(first.sessionId);
    h.server.clock.advanceSeconds(60);
    await expectCode(h.auth.refresh({ refreshToken: first.refreshToken }), Code.Unauthenticated);
  });

  it.each([
    [SessionScope.CURRENT, [false, true, true]],
    [SessionScope.OTHERS, [true, false, false]],
    [SessionScope.ALL, [false, false, false]],
  ])("logout scope %s ends the right sessions", async (scope, alive) => {
    const sessions = [
      await h.login("ada@example.com"),
      await h.login("ada@example.com"),
      await h.login("ada@example.com"),
    ];
    const [me] = sessions;
    await h.authed(me!.accessToken).logout({ endSessions: scope });
    for (const [i, s] of sessions.entries()) {
      const call = h.server
        .client(SessionService, "connect", { authorization: `Bearer ${s.accessToken}` })
        .getSession({});
      if (alive[i]) await call;
      else await expectCode(call, Code.Unauthenticated);
    }
    // A fresh login signs everything back in for the next case.
    await h.login("ada@example.com");
  });
});

describe("a deactivated account", () => {
  it("cannot sign in", async () => {
    await h.signUp("gone@example.com");
    await users().transaction((em) =>
      em.update(UserEntity, { email: "gone@example.com" }, { status: "deactivated" }),
    );
    await expectCode(
      h.auth.login({ identifier: "gone@example.com", password: "nope nope" }),
      Code.Unauthenticated,
    );
    await expectCode(
      h.auth.login({ identifier: "gone@example.com", password: PASSWORD }),
      Code.FailedPrecondition,
      /deactivated/,
    );
    expect(AuthService.typeName).toBe("authd.v1.AuthService");
  });
});
