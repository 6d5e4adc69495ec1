// A server wired to a real SMTP server, and the steps most account tests start from. The server is
// on a port (startTestServer) unless the test passes startInProcess (in-process.ts).
import { type Client, Code, ConnectError } from "@connectrpc/connect";
import { expect } from "vitest";
import { AuthService } from "../../gen/authd/v1/auth_pb.js";
import type { TokenPair } from "../../gen/authd/v1/common_pb.js";
import { type Protocol, type RpcServer, startTestServer, type TestServer } from "./server.js";
import { type ReceivedMail, startSmtpServer, type TestSmtpServer } from "./smtp.js";

export interface AccountsHarness<S extends RpcServer = TestServer> {
  server: S;
  smtp: TestSmtpServer;
  auth: Client<typeof AuthService>;
  /** Delivers queued mail now and answers the newest message to `to` whose subject matches. */
  mailTo(to: string, subject?: RegExp): Promise<ReceivedMail>;
  /** Registers, verifies by the emailed link, and answers the password. */
  signUp(email: string, password?: string, username?: string): Promise<void>;
  login(identifier: string, password?: string, protocol?: Protocol): Promise<TokenPair>;
  authed(accessToken: string, protocol?: Protocol): Client<typeof AuthService>;
  close(): Promise<void>;
}

export const PASSWORD = "correct horse battery staple";

/** The single-use token in the first authd link of a message. */
export function tokenFrom(mail: ReceivedMail): string {
  const match = /[?&]token=([A-Za-z0-9_-]+)/.exec(mail.text);
  if (!match?.[1]) throw new Error(`no token link in: ${mail.text}`);
  return match[1];
}

export async function expectCode(
  promise: Promise<unknown>,
  code: Code,
  message?: RegExp,
): Promise<ConnectError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );
  expect(error, "the call should have failed").toBeDefined();
  expect(Code[(error as ConnectError).code]).toBe(Code[code]);
  if (message) expect((error as ConnectError).rawMessage).toMatch(message);
  return error as ConnectError;
}

/** How a harness starts authd: startTestServer, or startInProcess. */
export type StartServer<S extends RpcServer> = (env: Record<string, string>) => Promise<S>;

export async function startAccountsHarness<S extends RpcServer = TestServer>(
  env: Record<string, string> = {},
  start: StartServer<S> = startTestServer as unknown as StartServer<S>,
): Promise<AccountsHarness<S>> {
  const smtp = await startSmtpServer();
  const server = await start({ AUTHD_SMTP_URL: smtp.url, ...env });
  const auth = server.client(AuthService);
  const mailTo = async (to: string, subject?: RegExp) => {
    // Register, ResendVerificationEmail and RequestPasswordReset queue their mail after answering.
    await server.afterReply.settled();
    await server.mail.flush();
    const matches = (m: ReceivedMail) => m.to.includes(to) && (!subject || subject.test(m.subject));
    await smtp.waitFor(matches);
    const all = smtp.messages.filter(matches);
    return all[all.length - 1] as ReceivedMail;
  };
  const login = async (identifier: string, password = PASSWORD, protocol: Protocol = "connect") => {
    const res = await server.client(AuthService, protocol).login({ identifier, password });
    if (res.result.case !== "tokens") throw new Error(`expected tokens, got ${res.result.case}`);
    return res.result.value;
  };
  return {
    server,
    smtp,
    auth,
    mailTo,
    async signUp(email, password = PASSWORD, username = "") {
      await auth.register({ email, password, username });
      const mail = await mailTo(email, /verify/i);
      await auth.verifyEmail({ token: tokenFrom(mail) });
    },
    login,
    authed: (accessToken, protocol = "connect") =>
      server.client(AuthService, protocol, { authorization: `Bearer ${accessToken}` }),
    async close() {
      await server.close();
      await smtp.stop();
    },
  };
}
