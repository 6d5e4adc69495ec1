// A soak: mixed traffic (sign-ups, sign-ins, refreshes, authenticated calls, wrong passwords,
// sign-outs) from several clients for a bounded time, against authd in its own process. Every call
// gets the answer it should, nothing is logged at error level, and the server's memory is flat
// after warm-up: the V8 heap after a full GC grows by at most 10 % from the end of warm-up to the end.
//
// AUTHD_SOAK_SECONDS sets the length (default 60; warm-up is a quarter of it, at least 15 s), e.g.
// AUTHD_SOAK_SECONDS=900 npx vitest run test/reliability/soak.test.ts for a longer run.
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, expect, it } from "vitest";
import { AuthService } from "../../gen/authd/v1/auth_pb.js";
import { SessionService } from "../../gen/authd/v1/session_pb.js";
import { tokenFrom } from "../helpers/accounts.js";
import { startSmtpServer, type TestSmtpServer } from "../helpers/smtp.js";
import { type ChildServer, type HeapSample, spawnAuthd } from "./child-server.js";

const SECONDS = Number(process.env.AUTHD_SOAK_SECONDS ?? "60");
const WARM_UP_SECONDS = Math.max(15, SECONDS / 4);
const WORKERS = 6;
const PASSWORD = "soak test passphrase 2718";

let smtp: TestSmtpServer;
let server: ChildServer;
let dataDir: string;

beforeAll(async () => {
  smtp = await startSmtpServer();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "authd-soak-"));
  server = await spawnAuthd(
    {
      AUTHD_DATA_DIR: dataDir,
      AUTHD_SECRET: "soak-test-master-secret-0123456789abcdef",
      AUTHD_LOG_LEVEL: "info",
      AUTHD_SMTP_URL: smtp.url,
      AUTHD_OUTBOX_POLL_INTERVAL_MS: "50",
      AUTHD_REGISTRATIONS_PER_IP: "100000",
      AUTHD_EMAILS_PER_IP: "100000",
      AUTHD_LOGIN_MAX_FAILURES_PER_IP: "100000",
      AUTHD_LOGIN_MAX_FAILURES: "100",
    },
    { heapProbe: true },
  );
});
afterAll(async () => {
  await server?.stop();
  await smtp?.stop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

interface Account {
  email: string;
  accessToken?: string;
  refreshToken?: string;
  busy: boolean;
}

interface Tally {
  calls: number;
  unexpected: string[];
}

const auth = () => server.client(AuthService);
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function signUp(email: string): Promise<void> {
  const before = smtp.messages.length;
  await auth().register({ email, password: PASSWORD });
  const mail = await smtp.waitFor(
    (m) => m.to.includes(email) && /verify/i.test(m.subject) && smtp.messages.indexOf(m) >= before,
    30_000,
  );
  await auth().verifyEmail({ token: tokenFrom(mail) });
}

async function signIn(account: Account): Promise<void> {
  const res = await auth().login({ identifier: account.email, password: PASSWORD });
  if (res.result.case !== "tokens") throw new Error(`expected tokens, got ${res.result.case}`);
  account.accessToken = res.result.value.accessToken;
  account.refreshToken = res.result.value.refreshToken;
}

/** One step of traffic for `account`, chosen at random; throws when an answer is not the expected one. */
async function step(account: Account, accounts: Account[], tally: Tally): Promise<void> {
  if (!account.accessToken || !account.refreshToken) return signIn(account);
  const roll = Math.random();
  if (roll < 0.08) {
    // A unique address per sign-up: two clients signing up the same address in the same millisecond
    // would void each other's verification link (a newer one voids the older), as designed.
    const fresh: Account = { email: `soak-${randomUUID()}@example.com`, busy: true };
    await signUp(fresh.email);
    await signIn(fresh);
    tally.calls += 3;
    fresh.busy = false;
    accounts.push(fresh);
  } else if (roll < 0.3) {
    const res = await auth().refresh({ refreshToken: account.refreshToken });
    account.accessToken = res.tokens?.accessToken;
    account.refreshToken = res.tokens?.refreshToken;
  } else if (roll < 0.55) {
    const me = await server.client(AuthService, bearer(account.accessToken)).getCurrentUser({});
    if (me.user?.email !== account.email) throw new Error("GetCurrentUser answered another user");
  } else if (roll < 0.7) {
    await server.client(SessionService, bearer(account.accessToken)).listSessions({});
  } else if (roll < 0.8) {
    const refused = await auth()
      .login({ identifier: account.email, password: "not the soak password" })
      .then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
    if (refused?.code !== Code.Unauthenticated) throw new Error(`a wrong password answered ${refused?.code}`);
  } else if (roll < 0.9) {
    await signIn(account);
  } else {
    await server.client(AuthService, bearer(account.accessToken)).logout({});
    account.accessToken = undefined;
    account.refreshToken = undefined;
  }
  tally.calls++;
}

/** Runs WORKERS clients until `seconds` have passed, then lets every call in flight finish. */
async function traffic(accounts: Account[], seconds: number, tally: Tally): Promise<void> {
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      while (Date.now() < end) {
        const free = accounts.filter((a) => !a.busy);
        const account = free[Math.floor(Math.random() * free.length)];
        if (!account) {
          await new Promise((resolve) => setTimeout(resolve, 10));
          continue;
        }
        account.busy = true;
        try {
          await step(account, accounts, tally);
        } catch (error) {
          tally.unexpected.push(error instanceof Error ? error.message : String(error));
        } finally {
          account.busy = false;
        }
      }
    }),
  );
}

const mb = (sample: HeapSample) =>
  `heap ${(sample.heapUsed / 2 ** 20).toFixed(1)} MiB, rss ${(sample.rss / 2 ** 20).toFixed(1)} MiB`;

it(`serves ${SECONDS} s of mixed traffic without an error, its heap flat after warm-up`, {
  timeout: (SECONDS + 120) * 1000,
}, async () => {
  const accounts: Account[] = [];
  for (let i = 0; i < 12; i++) {
    const account: Account = { email: `soak-seed-${i}@example.com`, busy: false };
    await signUp(account.email);
    accounts.push(account);
  }
  const tally: Tally = { calls: 0, unexpected: [] };
  await traffic(accounts, WARM_UP_SECONDS, tally);
  const afterWarmUp = await server.heap();
  const warmUpCalls = tally.calls;
  await traffic(accounts, SECONDS - WARM_UP_SECONDS, tally);
  const atEnd = await server.heap();

  console.info(
    `soak: ${tally.calls} calls (${warmUpCalls} in warm-up), ${accounts.length} accounts; after warm-up ${mb(afterWarmUp)}; at the end ${mb(atEnd)}`,
  );
  expect(tally.unexpected.slice(0, 10)).toEqual([]);
  expect(tally.calls - warmUpCalls, "traffic after warm-up").toBeGreaterThan(100);
  const errorLines = server
    .output()
    .split("\n")
    .filter((line) => /"level":(50|60)/.test(line));
  expect(errorLines.slice(0, 5)).toEqual([]);
  expect(atEnd.heapUsed).toBeLessThanOrEqual(afterWarmUp.heapUsed * 1.1);
});
