// What the MFA tests share: an independent RFC 6238 generator on node:crypto (not otplib, so the
// server's TOTP is checked against a second implementation), a real HTTP server standing in for the
// SMS provider, and a signed-in user with MfaService and AuthService clients.
import { createHmac } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { type Client, createClient } from "@connectrpc/connect";
import { AuthService } from "../../gen/authd/v1/auth_pb.js";
import type { TokenPair } from "../../gen/authd/v1/common_pb.js";
import { AuthenticatorType, MfaService } from "../../gen/authd/v1/mfa_pb.js";
import { signSmsWebhook } from "../../src/delivery/sms.js";
import { type AccountsHarness, PASSWORD, type StartServer, startAccountsHarness } from "./accounts.js";
import type { RpcServer, TestServer } from "./server.js";

// ---- independent RFC 6238 ----

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export function base32Decode(text: string): Buffer {
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const char of text.replace(/=+$/, "").toUpperCase()) {
    const index = B32.indexOf(char);
    if (index < 0) throw new Error(`not base32: ${char}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** RFC 6238 §4 with RFC 4226 §5.3 dynamic truncation. */
export function referenceTotp(
  key: Buffer,
  unixSeconds: number,
  digits = 6,
  algorithm: "sha1" | "sha256" | "sha512" = "sha1",
  period = 30,
): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / period)));
  const mac = createHmac(algorithm, key).update(counter).digest();
  const offset = (mac[mac.length - 1] as number) & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, "0");
}

/** The 6-digit code an authenticator app shows at `ms` for a base32 secret. */
export const appCode = (secret: string, ms: number) =>
  referenceTotp(base32Decode(secret), Math.floor(ms / 1000));

// ---- SMS provider stand-in ----

export interface ReceivedSms {
  to: string;
  text: string;
}

export interface SmsReceiver {
  url: string;
  secret: string;
  messages: ReceivedSms[];
  close(): Promise<void>;
}

/** A webhook endpoint that accepts only correctly signed SMS posts. */
export async function startSmsReceiver(): Promise<SmsReceiver> {
  const secret = "test-sms-webhook-secret";
  const messages: ReceivedSms[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      const header = String(req.headers["x-authd-signature"] ?? "");
      const t = Number(/t=(\d+)/.exec(header)?.[1]);
      if (header !== signSmsWebhook(secret, t, body)) {
        res.statusCode = 401;
        res.end();
        return;
      }
      const parsed = JSON.parse(body) as ReceivedSms;
      messages.push({ to: parsed.to, text: parsed.text });
      res.statusCode = 200;
      res.end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/sms`,
    secret,
    messages,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

// ---- harness ----

export interface MfaHarness<S extends RpcServer = TestServer> extends AccountsHarness<S> {
  sms: SmsReceiver;
  /** Delivers queued SMS now and answers the 6-digit code of the newest one to `to`. */
  smsCode(to: string): Promise<string>;
  /** Delivers queued mail now and answers the 6-digit code of the newest code email to `to`. */
  emailCode(to: string): Promise<string>;
  /** Signs up a verified user and signs in (password only). */
  user(email: string): Promise<SignedIn>;
  /** A signed-in user with an active TOTP factor and ten recovery codes (the clock moved past the code). */
  userWithTotp(email: string): Promise<TotpUser>;
  /** MfaService as the holder of `accessToken`; without one, as an anonymous client. */
  mfaFor(accessToken: string): Client<typeof MfaService>;
}

export interface TotpUser extends SignedIn {
  secret: string;
  totpId: string;
  recoveryId: string;
  codes: string[];
}

export interface SignedIn {
  email: string;
  userId: string;
  tokens: TokenPair;
  mfa: Client<typeof MfaService>;
  auth: Client<typeof AuthService>;
}

export async function startMfaHarness<S extends RpcServer = TestServer>(
  env: Record<string, string> = {},
  start?: StartServer<S>,
): Promise<MfaHarness<S>> {
  const sms = await startSmsReceiver();
  const h = await startAccountsHarness(
    {
      AUTHD_SMS_WEBHOOK_URL: sms.url,
      AUTHD_SMS_WEBHOOK_SECRET: sms.secret,
      // The SMS receiver (and any provider a test starts) is on loopback: the development allowance.
      AUTHD_OUTBOUND_ALLOW_PRIVATE: "true",
      ...env,
    },
    start,
  );
  const mfaFor = (accessToken: string) =>
    createClient(
      MfaService,
      h.server.transport("connect", accessToken === "" ? {} : { authorization: `Bearer ${accessToken}` }),
    );
  const user = async (email: string): Promise<SignedIn> => {
    await h.signUp(email);
    const tokens = await h.login(email);
    const auth = h.authed(tokens.accessToken);
    const userId = (await auth.getCurrentUser({})).user?.id as string;
    return { email, userId, tokens, mfa: mfaFor(tokens.accessToken), auth };
  };
  return {
    ...h,
    sms,
    mfaFor,
    async smsCode(to) {
      await h.server.mail.flush();
      const last = sms.messages.filter((m) => m.to === to).pop();
      const code = last && /\b(\d{6})\b/.exec(last.text)?.[1];
      if (!code) throw new Error(`no SMS code to ${to}`);
      return code;
    },
    async emailCode(to) {
      const mail = await h.mailTo(to, /code/i);
      const code = /\b(\d{6})\b/.exec(mail.text)?.[1];
      if (!code) throw new Error(`no code in the email to ${to}`);
      return code;
    },
    user,
    async userWithTotp(email) {
      const u = await user(email);
      const created = await u.mfa.createAuthenticator({
        currentPassword: PASSWORD,
        type: AuthenticatorType.TOTP,
      });
      const totpId = created.authenticator?.id as string;
      const code = appCode(created.totpSecret, h.server.clock.now());
      await u.mfa.verifyAuthenticator({ currentPassword: PASSWORD, authenticatorId: totpId, code });
      const recovery = await u.mfa.createAuthenticator({
        currentPassword: PASSWORD,
        type: AuthenticatorType.RECOVERY_CODES,
      });
      h.server.clock.advanceSeconds(120);
      return {
        ...u,
        secret: created.totpSecret,
        totpId,
        recoveryId: recovery.authenticator?.id as string,
        codes: [...recovery.recoveryCodes],
      };
    },
    async close() {
      await h.close();
      await sms.close();
    },
  };
}

export { PASSWORD };
