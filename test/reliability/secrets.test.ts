// No secret in clear at rest or in the logs. After a realistic session of traffic — registration,
// email verification, sign-in, refresh, TOTP and SMS enrolment, recovery codes, an API key, a password
// reset, sign-ins with a recovery code and a texted code — every password, token, code and key the
// clients saw is looked for in the bytes of the database (SQLite file and WAL; every PostgreSQL row as
// text) and in every line the server logged at trace level. None may be there.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthService } from "../../gen/authd/v1/auth_pb.js";
import { AuthenticatorType, MfaService } from "../../gen/authd/v1/mfa_pb.js";
import { SessionService } from "../../gen/authd/v1/session_pb.js";
import { tokenFrom } from "../helpers/accounts.js";
import { appCode, type SmsReceiver, startSmsReceiver } from "../helpers/mfa.js";
import { createTestDatabase } from "../helpers/postgres.js";
import { startSmtpServer, type TestSmtpServer } from "../helpers/smtp.js";
import { type ChildServer, spawnAuthd } from "./child-server.js";
import { type DatabaseKind, openDatabaseReader } from "./database.js";

const MASTER_SECRET = "secrets-test-master-secret-9f8e7d6c5b4a3210";

let smtp: TestSmtpServer;
let sms: SmsReceiver;
beforeAll(async () => {
  smtp = await startSmtpServer();
  sms = await startSmsReceiver();
});
afterAll(async () => {
  await smtp?.stop();
  await sms?.close();
});

/** Every secret the traffic handed to or received from a client, by what it is. */
type Seen = Map<string, string>;

async function mailToken(email: string, subject: RegExp, after: number): Promise<string> {
  const mail = await smtp.waitFor(
    (m) => m.to.includes(email) && subject.test(m.subject) && smtp.messages.indexOf(m) >= after,
    20_000,
  );
  return tokenFrom(mail);
}

async function smsCode(to: string, after: number): Promise<string> {
  for (let attempt = 0; attempt < 400; attempt++) {
    const message = sms.messages.slice(after).find((m) => m.to === to);
    const code = message && /\b(\d{6})\b/.exec(message.text)?.[1];
    if (code) return code;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no SMS to ${to}`);
}

/** The session of traffic; answers every secret it saw. */
async function realisticTraffic(server: ChildServer, email: string): Promise<Seen> {
  const seen: Seen = new Map();
  const keep = (what: string, value: string | undefined) => {
    if (!value) throw new Error(`no ${what}`);
    seen.set(what, value);
    return value;
  };
  const auth = server.client(AuthService);
  const anonymousMfa = server.client(MfaService);
  const as = (accessToken: string) => ({ authorization: `Bearer ${accessToken}` });

  const firstPassword = keep("first password", "first secret passphrase Zq7!");
  let mails = smtp.messages.length;
  await auth.register({ email, password: firstPassword });
  await auth.verifyEmail({
    token: keep("email verification token", await mailToken(email, /verify/i, mails)),
  });
  const signedIn = await auth.login({ identifier: email, password: firstPassword });
  if (signedIn.result.case !== "tokens") throw new Error("expected tokens");
  keep("access token", signedIn.result.value.accessToken);
  const refreshed = await auth.refresh({
    refreshToken: keep("refresh token", signedIn.result.value.refreshToken),
  });
  const accessToken = keep("refreshed access token", refreshed.tokens?.accessToken);
  keep("refreshed refresh token", refreshed.tokens?.refreshToken);

  const mfa = server.client(MfaService, as(accessToken));
  const totp = await mfa.createAuthenticator({
    currentPassword: firstPassword,
    type: AuthenticatorType.TOTP,
  });
  const totpSecret = keep("TOTP secret", totp.totpSecret);
  await mfa.verifyAuthenticator({
    currentPassword: firstPassword,
    authenticatorId: totp.authenticator?.id ?? "",
    code: keep("TOTP code", appCode(totpSecret, Date.now())),
  });
  const recovery = await mfa.createAuthenticator({
    currentPassword: firstPassword,
    type: AuthenticatorType.RECOVERY_CODES,
  });
  for (const [i, code] of recovery.recoveryCodes.entries()) keep(`recovery code ${i}`, code);

  const created = await server
    .client(SessionService, as(accessToken))
    .createApiKey({ name: "deploy script", scopes: ["sessions:read"], currentPassword: firstPassword });
  const apiKey = keep("API key", created.secret);
  // authd_<24 hex id>_<secret>: the secret part alone must not be stored either.
  keep("API key secret part", apiKey.slice("authd_".length + 25));
  await server.client(SessionService, { "x-api-key": apiKey }).listSessions({});

  const mobile = "+447700900777";
  let texts = sms.messages.length;
  const smsFactor = await mfa.createAuthenticator({
    currentPassword: firstPassword,
    type: AuthenticatorType.SMS,
    mobile,
  });
  const smsId = smsFactor.authenticator?.id ?? "";
  await mfa.verifyAuthenticator({
    currentPassword: firstPassword,
    authenticatorId: smsId,
    code: keep("SMS enrolment code", await smsCode(mobile, texts)),
  });

  // Sign in again with a recovery code.
  const second = await auth.login({ identifier: email, password: firstPassword });
  if (second.result.case !== "mfaChallenge") throw new Error("expected a challenge");
  const withRecovery = await anonymousMfa.verifyChallenge({
    challengeId: keep("MFA challenge (recovery)", second.result.value.challengeId),
    authenticatorId: recovery.authenticator?.id ?? "",
    code: recovery.recoveryCodes[0] ?? "",
  });
  keep("access token after recovery code", withRecovery.tokens?.accessToken);
  keep("refresh token after recovery code", withRecovery.tokens?.refreshToken);

  // Forgotten password: the emailed reset link, then sign-in with the new password and a texted code.
  mails = smtp.messages.length;
  await auth.requestPasswordReset({ email });
  const resetToken = keep("password reset token", await mailToken(email, /reset/i, mails));
  const newPassword = keep("new password", "second secret passphrase Kx4$");
  await auth.resetPassword({ token: resetToken, newPassword });
  const third = await auth.login({ identifier: email, password: newPassword });
  if (third.result.case !== "mfaChallenge") throw new Error("expected a challenge");
  const challengeId = keep("MFA challenge (SMS)", third.result.value.challengeId);
  texts = sms.messages.length;
  await anonymousMfa.deliverChallenge({ challengeId, authenticatorId: smsId });
  const withSms = await anonymousMfa.verifyChallenge({
    challengeId,
    authenticatorId: smsId,
    code: keep("SMS sign-in code", await smsCode(mobile, texts)),
  });
  keep("access token after SMS code", withSms.tokens?.accessToken);
  keep("refresh token after SMS code", withSms.tokens?.refreshToken);
  // A wrong password is a secret too (often a typo of the right one).
  await auth
    .login({ identifier: email, password: keep("wrong password", "second secret passphrase Kx4%") })
    .catch(() => {});
  return seen;
}

/** Where each secret occurs in `text`; short numeric codes only as a whole number (not inside a timestamp). */
function foundIn(text: string, seen: Seen, where: string): string[] {
  const found: string[] = [];
  for (const [what, secret] of seen) {
    const hit = /^\d{1,10}$/.test(secret)
      ? new RegExp(`(?<!\\d)${secret}(?!\\d)`).test(text)
      : text.includes(secret);
    if (hit) found.push(`${what} in ${where}`);
  }
  return found;
}

async function databaseText(kind: DatabaseKind, location: string): Promise<Map<string, string>> {
  if (kind === "sqlite") {
    // The raw bytes, free pages and the write-ahead log included: a secret that was ever written
    // in clear would still be there.
    const files = [location, `${location}-wal`, `${location}-journal`].filter((f) => fs.existsSync(f));
    return new Map(files.map((f) => [path.basename(f), fs.readFileSync(f).toString("latin1")]));
  }
  const db = await openDatabaseReader(kind, location);
  try {
    const tables = await db.query<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'",
    );
    const dump = new Map<string, string>();
    for (const { name } of tables) {
      const rows = await db.query<{ row: string }>(`SELECT t::text AS row FROM "${name}" t`);
      dump.set(`table ${name}`, rows.map((r) => r.row).join("\n"));
    }
    return dump;
  } finally {
    await db.close();
  }
}

describe.each<DatabaseKind>(["sqlite", "postgres"])("after a session of traffic on %s", (kind) => {
  it("no password, token, code or key is in the database or in any log line", {
    timeout: 120_000,
  }, async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "authd-secrets-"));
    const postgres = kind === "postgres" ? await createTestDatabase() : undefined;
    const server = await spawnAuthd({
      AUTHD_DATA_DIR: dataDir,
      ...(postgres ? { AUTHD_DATABASE_URL: postgres.url } : {}),
      AUTHD_SECRET: MASTER_SECRET,
      AUTHD_LOG_LEVEL: "trace",
      AUTHD_SMTP_URL: smtp.url,
      AUTHD_SMS_WEBHOOK_URL: sms.url,
      AUTHD_SMS_WEBHOOK_SECRET: sms.secret,
      AUTHD_OUTBOX_POLL_INTERVAL_MS: "50",
    });
    try {
      const seen = await realisticTraffic(server, `secrets-${kind}@example.com`);
      seen.set("master secret", MASTER_SECRET);
      seen.set("SMS webhook secret", sms.secret);
      // Give the outbox a moment to record its deliveries (and blank the sent messages).
      await new Promise((resolve) => setTimeout(resolve, 500));

      const found: string[] = [];
      for (const [where, text] of await databaseText(kind, postgres?.url ?? path.join(dataDir, "authd.db"))) {
        found.push(...foundIn(text, seen, where));
      }
      await server.stop();
      const log = server.output();
      expect(log.split("\n").length, "the server logged at trace level").toBeGreaterThan(20);
      found.push(...foundIn(log, seen, "the log"));
      expect(found).toEqual([]);
    } finally {
      await server.stop();
      await postgres?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
