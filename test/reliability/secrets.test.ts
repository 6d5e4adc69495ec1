// No secret in clear at rest or in the logs. After a realistic session of traffic — registration,
// email verification, sign-in, refresh, TOTP and SMS enrolment, recovery codes, an API key, a password
// reset, sign-ins with a recovery code (remembering the device) and a texted code — every password,
// token, code and key the clients saw is looked for in the bytes of the database (the SQLite file and
// its WAL; PostgreSQL's relation files after a CHECKPOINT, its write-ahead log, and every row as text)
// and in every line the server logged at trace level, in every form it could be kept in there (any
// case, dashes and spaces dropped, a random token's bytes in hex or base64: see secret-scan.ts).
// None may be there.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { AuthService } from "../../gen/authd/v1/auth_pb.js";
import { AuthenticatorType, MfaService } from "../../gen/authd/v1/mfa_pb.js";
import { SessionService } from "../../gen/authd/v1/session_pb.js";
import { tokenFrom } from "../helpers/accounts.js";
import { forEachDatabase } from "../helpers/databases.js";
import { appCode, type SmsReceiver, startSmsReceiver } from "../helpers/mfa.js";
import { startSmtpServer, type TestSmtpServer } from "../helpers/smtp.js";
import { type ChildServer, spawnAuthd } from "./child-server.js";
import { type DatabaseKind, openDatabaseReader, postgresFiles, walPosition } from "./database.js";
import { type Secret, SecretScan, type SecretShape } from "./secret-scan.js";

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
type Seen = Map<string, Secret>;

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
  const keep = (what: string, value: string | undefined, shape: SecretShape = "text") => {
    if (!value) throw new Error(`no ${what}`);
    seen.set(what, { value, shape });
    return value;
  };
  const auth = server.client(AuthService);
  const anonymousMfa = server.client(MfaService);
  const as = (accessToken: string) => ({ authorization: `Bearer ${accessToken}` });

  const firstPassword = keep("first password", "first secret passphrase Zq7!");
  let mails = smtp.messages.length;
  await auth.register({ email, password: firstPassword });
  await auth.verifyEmail({
    token: keep("email verification token", await mailToken(email, /verify/i, mails), "base64url"),
  });
  const signedIn = await auth.login({ identifier: email, password: firstPassword });
  if (signedIn.result.case !== "tokens") throw new Error("expected tokens");
  keep("access token", signedIn.result.value.accessToken, "jwt");
  const refreshed = await auth.refresh({
    refreshToken: keep("refresh token", signedIn.result.value.refreshToken, "base64url"),
  });
  const accessToken = keep("refreshed access token", refreshed.tokens?.accessToken, "jwt");
  keep("refreshed refresh token", refreshed.tokens?.refreshToken, "base64url");

  const mfa = server.client(MfaService, as(accessToken));
  const totp = await mfa.createAuthenticator({
    currentPassword: firstPassword,
    type: AuthenticatorType.TOTP,
  });
  const totpSecret = keep("TOTP secret", totp.totpSecret, "base32");
  await mfa.verifyAuthenticator({
    currentPassword: firstPassword,
    authenticatorId: totp.authenticator?.id ?? "",
    code: keep("TOTP code", appCode(totpSecret, Date.now()), "digits"),
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
  keep("API key secret part", apiKey.slice("authd_".length + 25), "base64url");
  await server.client(SessionService, { "x-api-key": apiKey }).listSessions({});

  const mobile = "+61491570159";
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
    code: keep("SMS enrolment code", await smsCode(mobile, texts), "digits"),
  });

  // Sign in again with a recovery code, remembering the device.
  const second = await auth.login({ identifier: email, password: firstPassword });
  if (second.result.case !== "mfaChallenge") throw new Error("expected a challenge");
  const withRecovery = await anonymousMfa.verifyChallenge({
    challengeId: keep("MFA challenge (recovery)", second.result.value.challengeId, "base64url"),
    authenticatorId: recovery.authenticator?.id ?? "",
    code: recovery.recoveryCodes[0] ?? "",
    rememberDevice: true,
  });
  keep("access token after recovery code", withRecovery.tokens?.accessToken, "jwt");
  keep("refresh token after recovery code", withRecovery.tokens?.refreshToken, "base64url");
  const deviceToken = keep("trusted device token", withRecovery.deviceToken);
  keep("trusted device token's random part", deviceToken.slice("dev_".length), "base64url");

  // Forgotten password: the emailed reset link, then sign-in with the new password and a texted code.
  mails = smtp.messages.length;
  await auth.requestPasswordReset({ email });
  const resetToken = keep("password reset token", await mailToken(email, /reset/i, mails), "base64url");
  const newPassword = keep("new password", "second secret passphrase Kx4$");
  await auth.resetPassword({ token: resetToken, newPassword });
  const third = await auth.login({ identifier: email, password: newPassword });
  if (third.result.case !== "mfaChallenge") throw new Error("expected a challenge");
  const challengeId = keep("MFA challenge (SMS)", third.result.value.challengeId, "base64url");
  texts = sms.messages.length;
  await anonymousMfa.deliverChallenge({ challengeId, authenticatorId: smsId });
  const withSms = await anonymousMfa.verifyChallenge({
    challengeId,
    authenticatorId: smsId,
    code: keep("SMS sign-in code", await smsCode(mobile, texts), "digits"),
  });
  keep("access token after SMS code", withSms.tokens?.accessToken, "jwt");
  keep("refresh token after SMS code", withSms.tokens?.refreshToken, "base64url");
  // A wrong password is a secret too (often a typo of the right one).
  await auth
    .login({ identifier: email, password: keep("wrong password", "second secret passphrase Kx4%") })
    .catch(() => {});
  return seen;
}

/** The database's bytes at rest, by where they are, and (PostgreSQL) its rows as text. */
async function databaseContents(
  kind: DatabaseKind,
  location: string,
  walFrom: string,
): Promise<Map<string, string>> {
  if (kind === "sqlite") {
    // The raw bytes, free pages and the write-ahead log included: a secret that was ever written
    // in clear would still be there.
    const files = [location, `${location}-wal`, `${location}-journal`].filter((f) => fs.existsSync(f));
    return new Map(files.map((f) => [path.basename(f), fs.readFileSync(f).toString("latin1")]));
  }
  const contents = new Map<string, string>();
  // Rows as text too: a value PostgreSQL compressed (TOAST) reads in clear only through SQL.
  const db = await openDatabaseReader(kind, location);
  try {
    const tables = await db.query<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'",
    );
    for (const { name } of tables) {
      const rows = await db.query<{ row: string }>(`SELECT t::text AS row FROM "${name}" t`);
      contents.set(`table ${name}`, rows.map((r) => r.row).join("\n"));
    }
  } finally {
    await db.close();
  }
  // The files: an overwritten or deleted row stays in its page and in the log until reused.
  for (const [where, bytes] of await postgresFiles(location, walFrom))
    contents.set(where, bytes.toString("latin1"));
  return contents;
}

forEachDatabase("after a session of traffic", ({ kind, env: databaseEnv }) => {
  it("no password, token, code or key is in the database or in any log line", {
    timeout: 120_000,
  }, async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "authd-secrets-"));
    const { AUTHD_DATABASE_URL: postgresUrl } = await databaseEnv();
    const server = await spawnAuthd({
      AUTHD_DATA_DIR: dataDir,
      ...(postgresUrl ? { AUTHD_DATABASE_URL: postgresUrl } : {}),
      AUTHD_SECRET: MASTER_SECRET,
      AUTHD_LOG_LEVEL: "trace",
      AUTHD_SMTP_URL: smtp.url,
      AUTHD_SMS_WEBHOOK_URL: sms.url,
      AUTHD_SMS_WEBHOOK_SECRET: sms.secret,
      // The SMS receiver is on loopback.
      AUTHD_OUTBOUND_ALLOW_PRIVATE: "true",
      AUTHD_OUTBOX_POLL_INTERVAL_MS: "50",
    });
    try {
      const walFrom = postgresUrl ? await walPosition(postgresUrl) : "";
      const email = `secrets-${kind}@example.com`;
      const seen = await realisticTraffic(server, email);
      seen.set("master secret", { value: MASTER_SECRET, shape: "text" });
      seen.set("SMS webhook secret", { value: sms.secret, shape: "text" });
      // Give the outbox a moment to record its deliveries (and blank the sent messages).
      await new Promise((resolve) => setTimeout(resolve, 500));

      const scan = new SecretScan(seen);
      const found: string[] = [];
      const contents = await databaseContents(kind, postgresUrl ?? path.join(dataDir, "authd.db"), walFrom);
      for (const [where, text] of contents) found.push(...scan.find(text, where));
      await server.stop();
      const log = server.output();
      expect(log.split("\n").length, "the server logged at trace level").toBeGreaterThan(20);
      found.push(...scan.find(log, "the log"));
      expect(found).toEqual([]);

      // The scan reads what was written: the account's address, kept in clear, is found by the same
      // search in the files themselves (for PostgreSQL, in a relation file and in the WAL).
      const control = new SecretScan(new Map([["the address", { value: email, shape: "text" }]]));
      const holding = [...contents]
        .filter(([where, text]) => !where.startsWith("table ") && control.find(text, where).length > 0)
        .map(([where]) => where);
      if (kind === "sqlite") expect(holding.length).toBeGreaterThan(0);
      else {
        expect(holding.some((where) => where.startsWith("relation file"))).toBe(true);
        expect(holding.some((where) => where.startsWith("WAL segment"))).toBe(true);
      }
    } finally {
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
