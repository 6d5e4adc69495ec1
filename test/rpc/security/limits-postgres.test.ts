// The sign-in limits on PostgreSQL, where transactions really run side by side: every limit holds
// under concurrency, and no client value can make a limit key outgrow its column.
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it, vi } from "vitest";
import { UserEntity } from "../../../src/store/entities/user.js";
import { type AccountsHarness, expectCode, PASSWORD, startAccountsHarness } from "../../helpers/accounts.js";
import { createTestDatabase } from "../../helpers/postgres.js";

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "OK",
    (e) => Code[ConnectError.from(e).code],
  );

const tally = (codes: string[]) =>
  codes.reduce<Record<string, number>>((acc, c) => {
    acc[c] = (acc[c] ?? 0) + 1;
    return acc;
  }, {});

/** An email of exactly `length` characters (the longest valid one is 254). */
function longEmail(length: number): string {
  const domain = `${"d".repeat(60)}.${"e".repeat(60)}.${"f".repeat(60)}.example`;
  return `${"a".repeat(length - domain.length - 1)}@${domain}`;
}

async function withHarness(env: Record<string, string>, run: (h: AccountsHarness) => Promise<void>) {
  const db = await createTestDatabase();
  const h = await startAccountsHarness({ AUTHD_DATABASE_URL: db.url, ...env });
  try {
    await run(h);
  } finally {
    await h.close();
    await db.drop();
  }
}

describe("limits on PostgreSQL", () => {
  it("60 concurrent wrong sign-ins with a per-IP limit of 5 check at most 5 passwords", () =>
    withHarness({ AUTHD_LOGIN_MAX_FAILURES_PER_IP: "5" }, async (h) => {
      const codes = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          codeOf(h.auth.login({ identifier: `ghost${i}@example.com`, password: "guess guess guess" })),
        ),
      );
      expect(tally(codes)).toEqual({ Unauthenticated: 5, ResourceExhausted: 55 });
    }));

  it("30 concurrent wrong guesses on one account check at most its limit, and re-authentication too", () =>
    withHarness({ AUTHD_LOGIN_MAX_FAILURES: "3" }, async (h) => {
      await h.signUp("swarm@example.com");
      const api = h.authed((await h.login("swarm@example.com")).accessToken);
      const reauth = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          codeOf(
            api.changePassword({
              currentPassword: `guess number ${i}`,
              newPassword: "a new passphrase here",
            }),
          ),
        ),
      );
      expect(tally(reauth)).toEqual({ Unauthenticated: 3, ResourceExhausted: 27 });

      const { passwordHash } = await h.server.db.transaction((em) =>
        em.findOneByOrFail(UserEntity, { email: "swarm@example.com" }),
      );
      const hasher = h.server.internals.hasher;
      const original = hasher.verify.bind(hasher);
      let verified = 0;
      vi.spyOn(hasher, "verify").mockImplementation(async (stored, password) => {
        if (stored === passwordHash) verified++;
        return original(stored, password);
      });
      try {
        const logins = await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            codeOf(h.auth.login({ identifier: "swarm@example.com", password: `guess number ${i}` })),
          ),
        );
        expect(tally(logins)).toEqual({ Unauthenticated: 30 });
        expect(verified).toBeLessThanOrEqual(3);
      } finally {
        vi.restoreAllMocks();
      }
    }));

  it("concurrent right and wrong passwords on one account from one address all get their own answer", () =>
    withHarness({ AUTHD_LOGIN_MAX_FAILURES: "100" }, async (h) => {
      await h.signUp("busy@example.com");
      const codes = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          codeOf(
            h.auth.login({ identifier: "busy@example.com", password: i % 2 ? PASSWORD : `wrong guess ${i}` }),
          ),
        ),
      );
      expect(tally(codes)).toEqual({ OK: 20, Unauthenticated: 20 });
    }));

  it("answers a 254-character email like any other: no limit key outgrows its column", () =>
    withHarness({}, async (h) => {
      const email = longEmail(254);
      expect(email).toHaveLength(254);
      await h.auth.register({ email, password: PASSWORD });
      await h.server.afterReply.settled();
      // (The test SMTP server refuses so long a recipient: verify the address directly.)
      await h.server.db.transaction((em) => em.update(UserEntity, { email }, { emailVerified: true }));
      await expectCode(
        h.auth.login({ identifier: email, password: "not the password" }),
        Code.Unauthenticated,
      );
      await h.login(email);
      await h.auth.requestPasswordReset({ email });
      await h.auth.requestPasswordReset({ email: longEmail(250) });
      await expectCode(
        h.auth.login({ identifier: longEmail(250), password: "not the password" }),
        Code.Unauthenticated,
      );
      const keys = await h.server.db.transaction((em) => em.query(`SELECT "key" FROM rate_limits`));
      for (const { key } of keys as Array<{ key: string }>) expect(key.length).toBeLessThanOrEqual(100);
    }));
});
