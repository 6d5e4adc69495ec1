// A crash under write load: authd (its own process) takes registrations, refreshes and factor
// enrolments from several clients at once and is killed with SIGKILL, on SQLite and on PostgreSQL.
// What the clients were told must hold after a restart: every write answered OK is there, and the
// database holds no half-done change (each write is one transaction, or it is not there at all).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { type Client, Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, expect, it } from "vitest";
import { AuthService } from "../../gen/authd/v1/auth_pb.js";
import { AuthenticatorType, MfaService } from "../../gen/authd/v1/mfa_pb.js";
import { hashSecret } from "../../src/domain/secrets.js";
import { tokenFrom } from "../helpers/accounts.js";
import { forEachDatabase } from "../helpers/databases.js";
import { appCode } from "../helpers/mfa.js";
import { startSmtpServer, type TestSmtpServer } from "../helpers/smtp.js";
import { type ChildServer, spawnAuthd } from "./child-server.js";
import { countRows, openDatabaseReader } from "./database.js";

const PASSWORD = "crash-test passphrase 4711";

let smtp: TestSmtpServer;
beforeAll(async () => {
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await smtp?.stop();
});

interface Chain {
  /** The newest refresh token the server handed out (the answer to the last refresh answered OK). */
  current: string;
  answered: number;
  inFlight: boolean;
  /**
   * Refreshes after which the chain rests (idle when the server is killed, its newest token known
   * to be the one stored), or undefined for a chain that refreshes until the kill.
   */
  restAfter?: number;
}

/** Refresh chains: the first IDLE_CHAINS rest after REST_AFTER refreshes, the others run to the kill. */
const CHAINS = 8;
const IDLE_CHAINS = 3;
const REST_AFTER = 3;

interface Enrolment {
  email: string;
  accessToken: string;
  /** Answered OK: a pending TOTP factor; then its activation; then a set of recovery codes. */
  totpCreated?: string;
  totpVerified?: string;
  recoveryCreated?: string;
}

/** What the clients were told before the kill: the writes answered OK. */
interface AnsweredLog {
  /** Accounts whose emailed verification link was answered OK. */
  registered: string[];
  chains: Chain[];
  enrolments: Enrolment[];
  /** Failures before the kill: there must be none. */
  unexpected: string[];
}

function authFor(server: ChildServer, accessToken?: string): Client<typeof AuthService> {
  return server.client(AuthService, accessToken ? { authorization: `Bearer ${accessToken}` } : {});
}

async function verifiedUser(server: ChildServer, email: string): Promise<string> {
  const auth = authFor(server);
  await auth.register({ email, password: PASSWORD });
  const mail = await smtp.waitFor((m) => m.to.includes(email) && /verify/i.test(m.subject), 20_000);
  await auth.verifyEmail({ token: tokenFrom(mail) });
  return login(server, email);
}

async function login(server: ChildServer, email: string): Promise<string> {
  const res = await authFor(server).login({ identifier: email, password: PASSWORD });
  if (res.result.case !== "tokens") throw new Error(`expected tokens, got ${res.result.case}`);
  return `${res.result.value.accessToken} ${res.result.value.refreshToken}`;
}

const pairOf = (joined: string) => {
  const [accessToken = "", refreshToken = ""] = joined.split(" ");
  return { accessToken, refreshToken };
};

async function inBatches<T>(items: T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}

/** The token of the verification email to `email`, once it arrives; undefined if the server is killed first. */
async function verificationToken(email: string, isKilled: () => boolean): Promise<string | undefined> {
  const deadline = Date.now() + 30_000;
  while (!isKilled() && Date.now() < deadline) {
    const mail = smtp.messages.find((m) => m.to.includes(email) && /verify/i.test(m.subject));
    if (mail) return tokenFrom(mail);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (!isKilled()) throw new Error(`no verification email to ${email}`);
  return undefined;
}

/** Runs the three kinds of writes until `killed` is set; records each write answered OK. */
function startLoad(server: ChildServer, prefix: string, log: AnsweredLog, isKilled: () => boolean) {
  const failed = (what: string) => (error: unknown) => {
    if (!isKilled()) log.unexpected.push(`${what}: ${ConnectError.from(error).message}`);
  };
  const registrations = [0, 1, 2].map(async (worker) => {
    const auth = authFor(server);
    for (let i = 0; !isKilled(); i++) {
      const email = `${prefix}-${worker}-${i}@example.com`;
      try {
        // Register answers before it writes (the same answer for a taken address); what a client
        // is told is durable is the verification of the emailed link.
        await auth.register({ email, password: PASSWORD });
        const token = await verificationToken(email, isKilled);
        if (!token) return;
        await auth.verifyEmail({ token });
        if (!isKilled()) log.registered.push(email);
      } catch (error) {
        failed(`register ${email}`)(error);
        return;
      }
    }
  });
  const refreshes = log.chains.map(async (chain) => {
    const auth = authFor(server);
    while (!isKilled() && (chain.restAfter === undefined || chain.answered < chain.restAfter)) {
      chain.inFlight = true;
      try {
        const res = await auth.refresh({ refreshToken: chain.current });
        chain.current = res.tokens?.refreshToken ?? "";
        chain.answered++;
        chain.inFlight = false;
      } catch (error) {
        failed("refresh")(error);
        return;
      }
    }
  });
  let next = 0;
  const enrolments = [0, 1].map(async () => {
    while (!isKilled() && next < log.enrolments.length) {
      const e = log.enrolments[next++] as Enrolment;
      const mfa = server.client(MfaService, { authorization: `Bearer ${e.accessToken}` });
      try {
        const totp = await mfa.createAuthenticator({
          currentPassword: PASSWORD,
          type: AuthenticatorType.TOTP,
        });
        e.totpCreated = totp.authenticator?.id;
        const code = appCode(totp.totpSecret, Date.now());
        await mfa.verifyAuthenticator({
          currentPassword: PASSWORD,
          authenticatorId: e.totpCreated ?? "",
          code,
        });
        e.totpVerified = e.totpCreated;
        const recovery = await mfa.createAuthenticator({
          currentPassword: PASSWORD,
          type: AuthenticatorType.RECOVERY_CODES,
        });
        e.recoveryCreated = recovery.authenticator?.id;
      } catch (error) {
        failed(`enrol ${e.email}`)(error);
        return;
      }
    }
  });
  return Promise.all([...registrations, ...refreshes, ...enrolments]);
}

/** Half-done changes that a transaction would have prevented; each query must answer no row. */
const HALF_WRITTEN = {
  "a session without a refresh token":
    "SELECT s.id FROM sessions s WHERE NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.session_id = s.id)",
  "a rotated refresh token whose successor is missing":
    "SELECT r.id FROM refresh_tokens r WHERE r.replaced_by IS NOT NULL AND NOT EXISTS (SELECT 1 FROM refresh_tokens n WHERE n.id = r.replaced_by)",
  "a refresh token without its session":
    "SELECT r.id FROM refresh_tokens r WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = r.session_id)",
  "a TOTP factor without its sealed secret":
    "SELECT id FROM mfa_authenticators WHERE type = 'totp' AND (secret_sealed IS NULL OR secret_sealed = '')",
  "a recovery-code factor without its codes":
    "SELECT a.id FROM mfa_authenticators a WHERE a.type = 'recovery_codes' AND NOT EXISTS (SELECT 1 FROM mfa_recovery_codes c WHERE c.authenticator_id = a.id)",
  "a user without the verification token of the registration":
    "SELECT u.id FROM users u WHERE NOT EXISTS (SELECT 1 FROM one_time_tokens t WHERE t.user_id = u.id AND t.purpose = 'verify_email')",
  "an email verification token without its user":
    "SELECT t.id FROM one_time_tokens t WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = t.user_id)",
  "a pending outbox message without its content":
    "SELECT id FROM outbox_messages WHERE status = 'pending' AND payload = ''",
};

forEachDatabase("authd killed with SIGKILL under write load", ({ kind, env: databaseEnv }) => {
  it("keeps every write it answered OK and leaves no half-written change", {
    timeout: 150_000,
  }, async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "authd-crash-"));
    const { AUTHD_DATABASE_URL: postgresUrl } = await databaseEnv();
    const location = postgresUrl ?? path.join(dataDir, "authd.db");
    const env = {
      AUTHD_DATA_DIR: dataDir,
      ...(postgresUrl ? { AUTHD_DATABASE_URL: postgresUrl } : {}),
      AUTHD_SECRET: "crash-test-master-secret-0123456789abcdef",
      AUTHD_SMTP_URL: smtp.url,
      AUTHD_OUTBOX_POLL_INTERVAL_MS: "50",
      AUTHD_REGISTRATIONS_PER_IP: "100000",
      AUTHD_EMAILS_PER_IP: "100000",
      AUTHD_LOGIN_MAX_FAILURES_PER_IP: "100000",
    };
    let server = await spawnAuthd(env);
    try {
      // Users for the refresh chains and the enrolments, signed in before the load starts.
      const log: AnsweredLog = { registered: [], chains: [], enrolments: [], unexpected: [] };
      const emails = Array.from({ length: 30 }, (_, i) => `${kind}-ready-${i}@example.com`);
      await inBatches(emails, 6, async (email) => {
        const pair = pairOf(await verifiedUser(server, email));
        if (log.chains.length < CHAINS) {
          const restAfter = log.chains.length < IDLE_CHAINS ? REST_AFTER : undefined;
          log.chains.push({ current: pair.refreshToken, answered: 0, inFlight: false, restAfter });
        } else log.enrolments.push({ email, accessToken: pair.accessToken });
      });

      let killed = false;
      const load = startLoad(server, `${kind}-load`, log, () => killed);
      // Let the load run long enough for many writes to be answered, then pull the plug mid-stream.
      // Let the load run until each kind of write has been answered several times, then pull the
      // plug mid-stream, at a moment the test does not choose exactly.
      const started = Date.now();
      const runFor = 2000 + Math.random() * 1500;
      const enoughAnswered = () =>
        log.registered.length >= 8 &&
        log.chains.length === CHAINS &&
        log.chains.every((c) => c.answered >= Math.min(2, c.restAfter ?? 2)) &&
        log.chains.every((c) => c.restAfter === undefined || c.answered === c.restAfter) &&
        log.enrolments.some((e) => e.recoveryCreated);
      while (Date.now() - started < runFor || !enoughAnswered()) {
        if (Date.now() - started > 60_000) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      killed = true;
      const inFlightAtKill = log.chains.map((c) => c.inFlight);
      await server.kill();
      await load;
      expect(log.unexpected).toEqual([]);
      expect(enoughAnswered(), "the load made progress before the kill").toBe(true);

      // On disk, with the server dead: no half-done change.
      const db = await openDatabaseReader(kind, location);
      try {
        for (const [what, sql] of Object.entries(HALF_WRITTEN)) {
          expect(await countRows(db, sql), what).toBe(0);
        }
        // Every refresh token the clients hold was stored before it was handed out.
        const held = log.chains.map((c) => `'${hashSecret(c.current)}'`).join(",");
        expect(await countRows(db, `SELECT id FROM refresh_tokens WHERE token_hash IN (${held})`)).toBe(
          log.chains.length,
        );
      } finally {
        await db.close();
      }

      server = await spawnAuthd(env);
      // Every email verification answered OK: the account signs in.
      await inBatches(log.registered, 8, async (email) => {
        expect(pairOf(await login(server, email)).accessToken).not.toBe("");
      });
      // Every refresh answered OK: its successor token works. The resting chains were idle at the
      // kill, so their newest token is exactly the one stored and must refresh. A chain whose
      // request was cut off by the kill may have rotated without the client learning it;
      // presenting the old token again is then refused as reuse, and that is the correct answer too.
      let idleChecked = 0;
      for (const [i, chain] of log.chains.entries()) {
        const attempt = authFor(server).refresh({ refreshToken: chain.current });
        if (!inFlightAtKill[i]) {
          expect((await attempt).tokens?.refreshToken, `idle chain ${i}`).toBeTruthy();
          idleChecked++;
        } else
          await attempt.catch((error: unknown) =>
            expect(Code[ConnectError.from(error).code]).toBe(Code[Code.Unauthenticated]),
          );
      }
      expect(idleChecked, "chains idle at the kill whose successor token was tried").toBeGreaterThanOrEqual(
        IDLE_CHAINS,
      );
      // Every factor enrolment answered OK is listed, active when its activation was answered.
      for (const e of log.enrolments.filter((x) => x.totpCreated)) {
        const mfa = server.client(MfaService, { authorization: `Bearer ${e.accessToken}` });
        const listed = new Map((await mfa.listAuthenticators({})).authenticators.map((a) => [a.id, a]));
        expect(listed.has(e.totpCreated ?? ""), e.email).toBe(true);
        if (e.totpVerified) expect(listed.get(e.totpVerified)?.active, e.email).toBe(true);
        if (e.recoveryCreated) expect(listed.get(e.recoveryCreated)?.remainingCodes, e.email).toBe(10);
      }
    } finally {
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
