// Three replicas of authd on one PostgreSQL database, hit at the same moment with the same secret: a
// single-use secret is accepted exactly once whichever replicas race for it, one email makes one
// account, and the lockout and per-address limits count every attempt, across replicas.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthService } from "../../gen/authd/v1/auth_pb.js";
import { AuthenticatorType, type MfaChallenge } from "../../gen/authd/v1/mfa_pb.js";
import { UserEntity } from "../../src/store/entities/user.js";
import { tokenFrom } from "../helpers/accounts.js";
import { appCode, type MfaHarness, PASSWORD, startMfaHarness } from "../helpers/mfa.js";
import { testMobile } from "../helpers/mobiles.js";
import { createTestDatabase } from "../helpers/postgres.js";

const LOCKOUT_AFTER = 5;
const FAILURES_PER_IP = 5;

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let replicas: MfaHarness[];
let a: MfaHarness;
let n = 0;

beforeAll(async () => {
  db = await createTestDatabase();
  const env = {
    AUTHD_DATABASE_URL: db.url,
    AUTHD_SECRET: "three-replicas-share-this-master-secret-0123",
    AUTHD_ACCESS_TOKEN_TTL: "86400",
    // No grace for a just-rotated refresh token, so "exactly once" is the whole rule.
    AUTHD_REFRESH_REUSE_GRACE: "0",
    AUTHD_LOGIN_MAX_FAILURES: String(LOCKOUT_AFTER),
    AUTHD_LOGIN_MAX_FAILURES_PER_IP: String(FAILURES_PER_IP),
    // Each test plays its clients from addresses of its own (X-Forwarded-For), so the per-address
    // limits of one test do not reach into another.
    AUTHD_TRUST_PROXY: "true",
    AUTHD_REGISTRATIONS_PER_IP: "100000",
    AUTHD_EMAILS_PER_IP: "100000",
    AUTHD_EMAILS_PER_ADDRESS: "1000",
  };
  a = await startMfaHarness(env);
  // One mail server and one SMS provider for all, as in production: any replica's outbox worker
  // may deliver any message.
  const shared = { ...env, AUTHD_SMTP_URL: a.smtp.url, AUTHD_SMS_WEBHOOK_URL: a.sms.url };
  replicas = [a, await startMfaHarness(shared), await startMfaHarness(shared)];
}, 120_000);
afterAll(async () => {
  for (const r of replicas ?? []) await r.close();
  await db?.drop();
});

const now = () => a.server.clock.now();
function advanceAll(seconds: number) {
  for (const r of replicas) r.server.clock.advanceSeconds(seconds);
}
/** userWithTotp moves the first replica's clock; the others follow. */
function syncClocks() {
  for (const r of replicas) r.server.clock.set(now());
}
async function flushAll() {
  await Promise.all(replicas.map((r) => r.server.mail.flush()));
}
const anonymousMfa = (r: MfaHarness) => r.mfaFor("");
const authFrom = (r: MfaHarness, ip: string) =>
  r.server.client(AuthService, "connect", { "x-forwarded-for": ip });

/** The same call on each replica at once; answers how many succeeded (the others must be client errors). */
async function racedOnAllReplicas<T>(call: (replica: MfaHarness) => Promise<T>): Promise<T[]> {
  const results = await Promise.allSettled(replicas.map(call));
  const succeeded: T[] = [];
  for (const result of results) {
    if (result.status === "fulfilled") succeeded.push(result.value);
    else {
      const code = ConnectError.from(result.reason).code;
      expect([Code.Internal, Code.Unknown], ConnectError.from(result.reason).message).not.toContain(code);
    }
  }
  return succeeded;
}

async function challenge(email: string): Promise<MfaChallenge> {
  const res = await a.auth.login({ identifier: email, password: PASSWORD });
  if (res.result.case !== "mfaChallenge") throw new Error(`expected a challenge, got ${res.result.case}`);
  return res.result.value;
}

async function smsCodeTo(mobile: string): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt++) {
    await flushAll();
    const last = a.sms.messages.filter((m) => m.to === mobile).pop();
    const code = last && /\b(\d{6})\b/.exec(last.text)?.[1];
    if (code) return code;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no SMS to ${mobile}`);
}

async function emailCodeTo(email: string, after: number): Promise<string> {
  await flushAll();
  const mail = await a.smtp.waitFor(
    (m) => m.to.includes(email) && /code/i.test(m.subject) && a.smtp.messages.indexOf(m) >= after,
  );
  const code = /\b(\d{6})\b/.exec(mail.text)?.[1];
  if (!code) throw new Error(`no code in the email to ${email}`);
  return code;
}

describe("three replicas racing for the same single-use secret", () => {
  it("rotate one refresh token exactly once", async () => {
    for (let round = 0; round < 3; round++) {
      await a.signUp(`refresh-race-${round}@example.com`);
      const { refreshToken } = await a.login(`refresh-race-${round}@example.com`);
      const won = await racedOnAllReplicas((r) => r.auth.refresh({ refreshToken }));
      expect(won).toHaveLength(1);
    }
  });

  it("accept one password-reset token exactly once", async () => {
    for (let round = 0; round < 3; round++) {
      const email = `reset-race-${round}@example.com`;
      await a.signUp(email);
      await a.auth.requestPasswordReset({ email });
      await flushAll();
      const token = tokenFrom(await a.mailTo(email, /reset/i));
      const passwords = replicas.map((_, i) => `new passphrase number ${i} of ${round}`);
      const outcomes = await Promise.allSettled(
        replicas.map((r, i) => r.auth.resetPassword({ token, newPassword: passwords[i] })),
      );
      const winners = outcomes.flatMap((o, i) => (o.status === "fulfilled" ? [i] : []));
      expect(winners).toHaveLength(1);
      // The account ends with the winner's password, not a mix of the three.
      await a.login(email, passwords[winners[0] as number]);
    }
  });

  it("accept one recovery code exactly once, even on three sign-ins at once", async () => {
    const u = await a.userWithTotp(`recovery-race-${++n}@example.com`);
    syncClocks();
    const code = u.codes[0] as string;
    const challenges = await Promise.all(replicas.map(() => challenge(u.email)));
    const won = await racedOnAllReplicas((r) =>
      anonymousMfa(r).verifyChallenge({
        challengeId: challenges[replicas.indexOf(r)]?.challengeId ?? "",
        authenticatorId: u.recoveryId,
        code,
      }),
    );
    expect(won).toHaveLength(1);
  });

  it("accept one TOTP code exactly once, even on three sign-ins at once", async () => {
    const u = await a.userWithTotp(`totp-race-${++n}@example.com`);
    syncClocks();
    const challenges = await Promise.all(replicas.map(() => challenge(u.email)));
    advanceAll(30);
    const code = appCode(u.secret, now());
    const won = await racedOnAllReplicas((r) =>
      anonymousMfa(r).verifyChallenge({
        challengeId: challenges[replicas.indexOf(r)]?.challengeId ?? "",
        authenticatorId: u.totpId,
        code,
      }),
    );
    expect(won).toHaveLength(1);
  });

  it("accept one emailed sign-in code exactly once", async () => {
    const u = await a.user(`email-code-race-${++n}@example.com`);
    const created = await u.mfa.createAuthenticator({
      currentPassword: PASSWORD,
      type: AuthenticatorType.EMAIL,
    });
    const id = created.authenticator?.id as string;
    await u.mfa.verifyAuthenticator({
      currentPassword: PASSWORD,
      authenticatorId: id,
      code: await emailCodeTo(u.email, 0),
    });
    const c = await challenge(u.email);
    const before = a.smtp.messages.length;
    await anonymousMfa(a).deliverChallenge({ challengeId: c.challengeId, authenticatorId: id });
    const code = await emailCodeTo(u.email, before);
    const won = await racedOnAllReplicas((r) =>
      anonymousMfa(r).verifyChallenge({ challengeId: c.challengeId, authenticatorId: id, code }),
    );
    expect(won).toHaveLength(1);
  });

  it("accept one texted sign-in code exactly once", async () => {
    const u = await a.user(`sms-code-race-${++n}@example.com`);
    const mobile = testMobile(n);
    const created = await u.mfa.createAuthenticator({
      currentPassword: PASSWORD,
      type: AuthenticatorType.SMS,
      mobile,
    });
    const id = created.authenticator?.id as string;
    await u.mfa.verifyAuthenticator({
      currentPassword: PASSWORD,
      authenticatorId: id,
      code: await smsCodeTo(mobile),
    });
    // SMS is never the only second factor offered: add recovery codes so sign-in offers both.
    await u.mfa.createAuthenticator({ currentPassword: PASSWORD, type: AuthenticatorType.RECOVERY_CODES });
    const c = await challenge(u.email);
    const sent = a.sms.messages.length;
    await anonymousMfa(a).deliverChallenge({ challengeId: c.challengeId, authenticatorId: id });
    for (let i = 0; i < 100 && a.sms.messages.length === sent; i++) {
      await flushAll();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const code = await smsCodeTo(mobile);
    const won = await racedOnAllReplicas((r) =>
      anonymousMfa(r).verifyChallenge({ challengeId: c.challengeId, authenticatorId: id, code }),
    );
    expect(won).toHaveLength(1);
  });

  it("make one account of one email registered on three replicas at once", async () => {
    for (let round = 0; round < 3; round++) {
      const email = `register-race-${round}@example.com`;
      await racedOnAllReplicas((r) => r.auth.register({ email, password: PASSWORD }));
      // Register answers first and creates the account after the reply (same answer for a known email).
      await Promise.all(replicas.map((r) => r.server.afterReply.settled()));
      const users = await a.server.db.transaction((em) => em.findBy(UserEntity, { email }));
      expect(users).toHaveLength(1);
    }
  });
});

describe("limits that hold across replicas", () => {
  /** `count` wrong passwords for `email`, at once, spread over the replicas, each from its own address. */
  async function wrongPasswordsAtOnce(email: string, count: number, firstIp: number) {
    await Promise.allSettled(
      Array.from({ length: count }, (_, i) =>
        authFrom(replicas[i % 3] as MfaHarness, `198.51.100.${firstIp + i}`).login({
          identifier: email,
          password: `wrong guess ${i}`,
        }),
      ),
    );
  }
  const failedLogins = async (email: string) =>
    (await a.server.db.transaction((em) => em.findOneBy(UserEntity, { email })))?.failedLogins;

  it("lock an account at exactly the limit when the wrong passwords arrive at once on all replicas", async () => {
    // One short of the limit: every failure is counted, and the owner still signs in.
    await a.signUp("lock-below@example.com");
    await wrongPasswordsAtOnce("lock-below@example.com", LOCKOUT_AFTER - 1, 1);
    expect(await failedLogins("lock-below@example.com")).toBe(LOCKOUT_AFTER - 1);
    await a.login("lock-below@example.com");

    // Exactly the limit, at once: no failure is lost, so the account is locked.
    await a.signUp("lock-at@example.com");
    await wrongPasswordsAtOnce("lock-at@example.com", LOCKOUT_AFTER, 20);
    const locked = await a.server.db.transaction((em) =>
      em.findOneBy(UserEntity, { email: "lock-at@example.com" }),
    );
    expect(locked?.lockedUntil).not.toBeNull();
    const answer = await authFrom(replicas[1] as MfaHarness, "198.51.100.99")
      .login({ identifier: "lock-at@example.com", password: PASSWORD })
      .then(
        () => "tokens",
        (e: unknown) => Code[ConnectError.from(e).code],
      );
    expect(answer).not.toBe("tokens");

    // Far over the limit, at once: still locked, and the correct password does not get in.
    await a.signUp("lock-storm@example.com");
    await wrongPasswordsAtOnce("lock-storm@example.com", 30, 100);
    await expect(
      authFrom(a, "198.51.100.250").login({ identifier: "lock-storm@example.com", password: PASSWORD }),
    ).rejects.toThrow();
  });

  it("check at most the per-address limit of passwords when 30 attempts from one address arrive at once", async () => {
    // Thirty accounts, one wrong password each, all from one address: the per-address limit (5)
    // must stop the rest before their password is even checked (reserve, then verify).
    const emails = Array.from({ length: 30 }, (_, i) => `per-ip-${i}@example.com`);
    for (const email of emails) await a.signUp(email);
    const ip = "203.0.113.77";
    await Promise.allSettled(
      emails.map((email, i) =>
        authFrom(replicas[i % 3] as MfaHarness, ip).login({
          identifier: email,
          password: "not the password",
        }),
      ),
    );
    const checked = await a.server.db.transaction(async (em) => {
      let total = 0;
      for (const email of emails) total += (await em.findOneBy(UserEntity, { email }))?.failedLogins ?? 0;
      return total;
    });
    expect(checked).toBeGreaterThan(0);
    expect(checked).toBeLessThanOrEqual(FAILURES_PER_IP);
  });
});
