// Sign-in under attack, through a real server on SQLite: limits that hold under concurrency, a lock
// that verifies nothing, and a sign-in that cannot outlive a password reset it raced with.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { PasswordHasher } from "../../../src/domain/passwords.js";
import { SessionEntity } from "../../../src/store/entities/session.js";
import { UserEntity } from "../../../src/store/entities/user.js";
import {
  type AccountsHarness,
  expectCode,
  PASSWORD,
  startAccountsHarness,
  tokenFrom,
} from "../../helpers/accounts.js";

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

async function userRow(h: AccountsHarness, email: string): Promise<UserEntity> {
  return h.server.db.transaction((em) => em.findOneByOrFail(UserEntity, { email }));
}

/** Counts verifications against one stored hash (the dummy verification has its own hash). */
function countVerifications(h: AccountsHarness, hash: () => string) {
  const hasher = h.server.internals.hasher;
  const original = hasher.verify.bind(hasher);
  let count = 0;
  vi.spyOn(hasher, "verify").mockImplementation(async (stored, password) => {
    if (stored === hash()) count++;
    return original(stored, password);
  });
  return () => count;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("per-IP failed sign-ins under concurrency", () => {
  let h: AccountsHarness;
  beforeAll(async () => {
    h = await startAccountsHarness({ AUTHD_LOGIN_MAX_FAILURES_PER_IP: "5" });
  });
  afterAll(() => h.close());

  it("60 concurrent wrong sign-ins with a per-IP limit of 5 check at most 5 passwords", async () => {
    const codes = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        codeOf(h.auth.login({ identifier: `ghost${i}@example.com`, password: "guess guess guess" })),
      ),
    );
    expect(tally(codes)).toEqual({ Unauthenticated: 5, ResourceExhausted: 55 });
  });

  it("a right password does not use up the allowance of its address", async () => {
    h.server.clock.advanceSeconds(3601);
    await h.signUp("ip-ok@example.com");
    for (let i = 0; i < 4; i++) {
      await expectCode(
        h.auth.login({ identifier: "nobody@example.com", password: "nope nope" }),
        Code.Unauthenticated,
      );
    }
    for (let i = 0; i < 5; i++) await h.login("ip-ok@example.com");
    await expectCode(
      h.auth.login({ identifier: "nobody@example.com", password: "nope nope" }),
      Code.Unauthenticated,
    );
    await expectCode(
      h.auth.login({ identifier: "nobody@example.com", password: "nope nope" }),
      Code.ResourceExhausted,
    );
  });
});

describe("re-authentication under concurrency", () => {
  let h: AccountsHarness;
  beforeAll(async () => {
    h = await startAccountsHarness({ AUTHD_LOGIN_MAX_FAILURES: "3" });
  });
  afterAll(() => h.close());

  it("30 concurrent wrong current passwords check at most 3", async () => {
    await h.signUp("reauth@example.com");
    const api = h.authed((await h.login("reauth@example.com")).accessToken);
    const codes = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        codeOf(
          api.changePassword({ currentPassword: `guess number ${i}`, newPassword: "a new passphrase here" }),
        ),
      ),
    );
    expect(tally(codes)).toEqual({ Unauthenticated: 3, ResourceExhausted: 27 });
  });

  it("a right current password does not count against the limit", async () => {
    await h.signUp("reauth-ok@example.com");
    const api = h.authed((await h.login("reauth-ok@example.com")).accessToken);
    for (let i = 0; i < 2; i++) {
      await expectCode(api.requestDeletion({ currentPassword: `wrong guess ${i}` }), Code.Unauthenticated);
    }
    for (let i = 0; i < 3; i++) await api.requestDeletion({ currentPassword: PASSWORD });
    await expectCode(api.requestDeletion({ currentPassword: "wrong guess 3" }), Code.Unauthenticated);
    await expectCode(api.requestDeletion({ currentPassword: PASSWORD }), Code.ResourceExhausted);
  });
});

describe("account lockout", () => {
  let h: AccountsHarness;
  beforeAll(async () => {
    h = await startAccountsHarness({
      AUTHD_LOGIN_MAX_FAILURES: "3",
      AUTHD_LOCKOUT_SECONDS: "900",
      AUTHD_LOGIN_MAX_FAILURES_PER_IP: "100000",
    });
  });
  afterAll(() => h.close());

  async function lock(email: string) {
    for (let i = 0; i < 3; i++) {
      await expectCode(
        h.auth.login({ identifier: email, password: `wrong-${i}-password` }),
        Code.Unauthenticated,
      );
    }
  }

  it("a locked account checks no password and answers the right one exactly like a wrong one", async () => {
    await h.signUp("locked@example.com");
    await lock("locked@example.com");
    const { passwordHash } = await userRow(h, "locked@example.com");
    const verified = countVerifications(h, () => passwordHash);
    const right = await expectCode(
      h.auth.login({ identifier: "locked@example.com", password: PASSWORD }),
      Code.Unauthenticated,
    );
    const wrong = await expectCode(
      h.auth.login({ identifier: "locked@example.com", password: "still wrong pass" }),
      Code.Unauthenticated,
    );
    const unknown = await expectCode(
      h.auth.login({ identifier: "nobody-at-all@example.com", password: PASSWORD }),
      Code.Unauthenticated,
    );
    expect(right.rawMessage).toBe(wrong.rawMessage);
    expect(right.rawMessage).toBe(unknown.rawMessage);
    expect([...right.metadata.keys()].sort()).toEqual([...unknown.metadata.keys()].sort());
    expect(verified()).toBe(0);
    h.server.clock.advanceSeconds(901);
    await h.login("locked@example.com");
  });

  it("emails the owner once when the lock starts, saying when it ends and that a reset lifts it", async () => {
    await h.signUp("told@example.com");
    await lock("told@example.com");
    const mail = await h.mailTo("told@example.com", /locked/i);
    expect(mail.text).toMatch(/15 minutes/);
    expect(mail.text).toMatch(/reset your password/i);
    await expectCode(
      h.auth.login({ identifier: "told@example.com", password: "more wrong guesses" }),
      Code.Unauthenticated,
    );
    await h.server.mail.flush();
    expect(h.smtp.to("told@example.com").filter((m) => /locked/i.test(m.subject))).toHaveLength(1);
    // A reset lifts the lock at once.
    await h.auth.requestPasswordReset({ email: "told@example.com" });
    const reset = await h.mailTo("told@example.com", /reset/i);
    await h.auth.resetPassword({ token: tokenFrom(reset), newPassword: "a brand new passphrase" });
    await h.login("told@example.com", "a brand new passphrase");
  });

  it("30 concurrent wrong guesses on one account check at most 3 passwords and lock it", async () => {
    await h.signUp("swarm@example.com");
    const { passwordHash } = await userRow(h, "swarm@example.com");
    const verified = countVerifications(h, () => passwordHash);
    const codes = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        codeOf(h.auth.login({ identifier: "swarm@example.com", password: `guess number ${i}` })),
      ),
    );
    expect(tally(codes)).toEqual({ Unauthenticated: 30 });
    expect(verified()).toBeLessThanOrEqual(3);
    expect((await userRow(h, "swarm@example.com")).lockedUntil).toBeGreaterThan(h.server.clock.now());
    await expectCode(
      h.auth.login({ identifier: "swarm@example.com", password: PASSWORD }),
      Code.Unauthenticated,
    );
  });
});

describe("a sign-in racing a password reset", () => {
  let h: AccountsHarness;
  beforeAll(async () => {
    h = await startAccountsHarness();
  });
  afterAll(() => h.close());

  /** Holds every verification against the account's hash until `release`, once it has run. */
  function holdVerification(hash: string) {
    const hasher = h.server.internals.hasher;
    const original = hasher.verify.bind(hasher);
    let release!: () => void;
    let started!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const verifying = new Promise<void>((r) => {
      started = r;
    });
    vi.spyOn(hasher, "verify").mockImplementation(async (stored, password) => {
      const ok = await original(stored, password);
      if (stored === hash) {
        started();
        await gate;
      }
      return ok;
    });
    return { verifying, release };
  }

  async function resetPassword(email: string, newPassword: string) {
    await h.auth.requestPasswordReset({ email });
    const mail = await h.mailTo(email, /reset/i);
    await h.auth.resetPassword({ token: tokenFrom(mail), newPassword });
  }

  const sessionsOf = async (userId: string) =>
    h.server.db.transaction((em) => em.countBy(SessionEntity, { userId }));

  it("gets no session when the reset commits while its password is being checked", async () => {
    await h.signUp("race@example.com");
    const user = await userRow(h, "race@example.com");
    const held = holdVerification(user.passwordHash);
    const signIn = codeOf(h.auth.login({ identifier: "race@example.com", password: PASSWORD }));
    await held.verifying;
    await resetPassword("race@example.com", "the reset passphrase");
    held.release();
    expect(await signIn).toBe("Unauthenticated");
    expect(await sessionsOf(user.id)).toBe(0);
    vi.restoreAllMocks();
    await expectCode(
      h.auth.login({ identifier: "race@example.com", password: PASSWORD }),
      Code.Unauthenticated,
    );
    await h.login("race@example.com", "the reset passphrase");
  });

  it("cannot write a rehash of the old password over the reset", async () => {
    await h.signUp("rehash@example.com");
    // A hash made with older costs is upgraded at the next successful sign-in.
    const old = await new PasswordHasher({ memoryKib: 2048, iterations: 1, parallelism: 1 }).hash(PASSWORD);
    await h.server.db.transaction((em) =>
      em.update(UserEntity, { email: "rehash@example.com" }, { passwordHash: old }),
    );
    const held = holdVerification(old);
    const signIn = codeOf(h.auth.login({ identifier: "rehash@example.com", password: PASSWORD }));
    await held.verifying;
    await resetPassword("rehash@example.com", "the reset passphrase");
    held.release();
    expect(await signIn).toBe("Unauthenticated");
    vi.restoreAllMocks();
    await expectCode(
      h.auth.login({ identifier: "rehash@example.com", password: PASSWORD }),
      Code.Unauthenticated,
    );
    await h.login("rehash@example.com", "the reset passphrase");
  });
});

describe("a password change racing a password reset", () => {
  let h: AccountsHarness;
  beforeAll(async () => {
    h = await startAccountsHarness();
  });
  afterAll(() => h.close());

  it("does not overwrite a reset that commits while the current password is being checked", async () => {
    await h.signUp("change-race@example.com");
    const api = h.authed((await h.login("change-race@example.com")).accessToken);
    const user = await userRow(h, "change-race@example.com");
    const hasher = h.server.internals.hasher;
    const original = hasher.verify.bind(hasher);
    let release!: () => void;
    let started!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const verifying = new Promise<void>((r) => {
      started = r;
    });
    vi.spyOn(hasher, "verify").mockImplementation(async (stored, password) => {
      const ok = await original(stored, password);
      if (stored === user.passwordHash) {
        started();
        await gate;
      }
      return ok;
    });
    const change = api.changePassword({ currentPassword: PASSWORD, newPassword: "the changed passphrase" });
    const outcome = change.then(
      () => "OK",
      (e) => `${Code[ConnectError.from(e).code]}: ${ConnectError.from(e).rawMessage}`,
    );
    await verifying;
    await h.auth.requestPasswordReset({ email: "change-race@example.com" });
    const mail = await h.mailTo("change-race@example.com", /reset/i);
    await h.auth.resetPassword({ token: tokenFrom(mail), newPassword: "the reset passphrase" });
    release();
    expect(await outcome).toMatch(/^Unauthenticated: current_password/);
    vi.restoreAllMocks();
    await expectCode(
      h.auth.login({ identifier: "change-race@example.com", password: "the changed passphrase" }),
      Code.Unauthenticated,
    );
    await h.login("change-race@example.com", "the reset passphrase");
  });
});

describe("a limiter that cannot count", () => {
  let h: AccountsHarness;
  beforeAll(async () => {
    h = await startAccountsHarness({ AUTHD_LOGIN_MAX_FAILURES: "3" });
  });
  afterAll(() => h.close());

  const failCounters = (on: boolean) =>
    h.server.db.transaction(async (em) => {
      if (!on) {
        await em.query("DROP TRIGGER refuse_insert");
        return em.query("DROP TRIGGER refuse_update");
      }
      await em.query(
        "CREATE TRIGGER refuse_insert BEFORE INSERT ON rate_limits BEGIN SELECT RAISE(FAIL, 'disk full'); END",
      );
      return em.query(
        "CREATE TRIGGER refuse_update BEFORE UPDATE ON rate_limits BEGIN SELECT RAISE(FAIL, 'disk full'); END",
      );
    });

  it("fails sign-in and re-authentication closed: no password is verified while nothing can be counted", async () => {
    await h.signUp("closed@example.com");
    const api = h.authed((await h.login("closed@example.com")).accessToken);
    const { passwordHash } = await userRow(h, "closed@example.com");
    const verified = countVerifications(h, () => passwordHash);
    await failCounters(true);
    try {
      for (let i = 0; i < 5; i++) {
        const login = await codeOf(
          h.auth.login({ identifier: "closed@example.com", password: `guess ${i} guess` }),
        );
        expect(login).not.toBe("Unauthenticated");
        expect(login).not.toBe("OK");
        const reauth = await codeOf(api.requestDeletion({ currentPassword: `guess ${i} guess` }));
        expect(reauth).not.toBe("Unauthenticated");
        expect(reauth).not.toBe("OK");
      }
      expect(await codeOf(h.auth.login({ identifier: "closed@example.com", password: PASSWORD }))).not.toBe(
        "OK",
      );
      expect(verified()).toBe(0);
    } finally {
      await failCounters(false);
    }
    await h.login("closed@example.com");
  });
});
