// Return URLs (continue_url) on the RPCs that email a link: only URLs on the allow-list
// (AUTHD_CONTINUE_URL_ALLOWLIST) are accepted, the emailed link carries the one given, and the RPC
// that uses the link answers it, through a real server on SQLite and PostgreSQL. Every known way to
// smuggle another host or path past a prefix check is refused.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorInfoSchema, ErrorReason } from "../../../gen/authd/v1/common_pb.js";
import { ConfigError, loadConfig } from "../../../src/config.js";
import { allowedContinueUrl, parseContinueUrlRule } from "../../../src/domain/continue-url.js";
import { type AccountsHarness, PASSWORD, startAccountsHarness, tokenFrom } from "../../helpers/accounts.js";
import { forEachDatabase } from "../../helpers/databases.js";
import type { ReceivedMail } from "../../helpers/smtp.js";

const ALLOWLIST = "https://app.example.com/app, http://localhost:3000";

/** Each is refused under ALLOWLIST: an open-redirect attempt, or not a plain absolute URL. */
const OPEN_REDIRECT_ATTEMPTS = [
  "https://app.example.com.evil.com/app",
  "https://evil.com/app",
  "//evil.com/app",
  "/app/after",
  "https://app.example.com@evil.com/app",
  "https://user:pw@app.example.com/app",
  "javascript:alert(document.cookie)",
  "JAVASCRIPT://app.example.com/app/%0aalert(1)",
  "data:text/html,<script>alert(1)</script>",
  "https:\\\\evil.com/app",
  "https://app.example.com\\@evil.com/app",
  "https://app.example.com/app\\..\\admin",
  "https://app.example.com/app/%2e%2e/admin",
  "https://app.example.com/app/%2E%2E%2Fadmin",
  "https://app.example.com/app/..%2fadmin",
  "https://app.example.com/app/../admin",
  "https://app.example.com/app-evil",
  "https://app.example.com/application",
  "https://app.example.com/",
  "http://app.example.com/app",
  "https://app.example.com:8443/app",
  "https://APP.example.com.evil.com/app",
  "http://localhost:3001/",
  "http://localhost/",
  " https://app.example.com/app",
  "https://app.example.com/app\n.evil.com",
  "https://app.example.com/app/\tx",
  `https://app.example.com/app/${"a".repeat(2048)}`,
  "not a url",
];

const ACCEPTED = [
  ["https://app.example.com/app", "https://app.example.com/app"],
  ["https://app.example.com/app/", "https://app.example.com/app/"],
  ["https://app.example.com/app/welcome?step=2#top", "https://app.example.com/app/welcome?step=2#top"],
  ["https://APP.Example.com:443/app/x", "https://app.example.com/app/x"],
  ["https://app.example.com/app/a/../b", "https://app.example.com/app/b"],
  ["http://localhost:3000/anything/at/all", "http://localhost:3000/anything/at/all"],
];

describe("matching a continue_url against the allow-list", () => {
  const rules = ALLOWLIST.split(",").map((entry) => parseContinueUrlRule(entry.trim()));

  it.each(OPEN_REDIRECT_ATTEMPTS.map((url) => [url]))("refuses %j", (url) => {
    expect(allowedContinueUrl(url, rules)).toBeNull();
  });

  it.each(ACCEPTED)("accepts %j as %j (the parser's normal form)", (url, normal) => {
    expect(allowedContinueUrl(url, rules)).toBe(normal);
  });

  it("refuses every URL when the allow-list is empty", () => {
    expect(allowedContinueUrl("https://app.example.com/app", [])).toBeNull();
  });

  it.each([
    ["https://*.example.com", /wildcard/],
    ["https://app.example.com/app?x=1", /query/],
    ["https://app.example.com/#x", /fragment/],
    ["https://user@app.example.com", /user name/],
    ["ftp://app.example.com", /http/],
    ["app.example.com", /absolute/],
  ])("refuses the allow-list entry %j at startup", (entry, message) => {
    expect(() => loadConfig({ AUTHD_CONTINUE_URL_ALLOWLIST: entry })).toThrow(ConfigError);
    expect(() => loadConfig({ AUTHD_CONTINUE_URL_ALLOWLIST: entry })).toThrow(message);
  });
});

/** The continue_url parameter of the first authd link of a message ("" when it has none). */
function continueUrlFrom(mail: ReceivedMail): string {
  const link = /https?:\/\/\S+[?&]token=\S+/.exec(mail.text)?.[0] ?? "";
  return new URL(link).searchParams.get("continue_url") ?? "";
}

async function refusal(call: Promise<unknown>) {
  const error = await call.then(
    () => expect.fail("the call should have been refused"),
    (e: unknown) => ConnectError.from(e),
  );
  const [info] = error.findDetails(ErrorInfoSchema);
  return {
    code: Code[error.code],
    message: error.rawMessage,
    reason: info ? ErrorReason[info.reason] : "none",
  };
}

forEachDatabase("continue_url", (database) => {
  describe("carried by the emailed links and answered back", () => {
    let h: AccountsHarness;
    let n = 0;
    const nextEmail = () => `${database.kind}-continue${++n}@example.com`;

    beforeAll(async () => {
      const env: Record<string, string> = {
        AUTHD_CONTINUE_URL_ALLOWLIST: ALLOWLIST,
        ...(await database.env()),
      };
      h = await startAccountsHarness(env);
    });
    afterAll(async () => {
      await h?.close();
    });

    it("Register: the verification link carries it and VerifyEmail answers it", async () => {
      const email = nextEmail();
      const continueUrl = "https://app.example.com/app/welcome?from=signup";
      await h.auth.register({ email, password: PASSWORD, continueUrl });
      const mail = await h.mailTo(email, /verify/i);
      expect(continueUrlFrom(mail)).toBe(continueUrl);
      expect(await h.auth.verifyEmail({ token: tokenFrom(mail) })).toMatchObject({ continueUrl });
    });

    it("ResendVerificationEmail: the new link carries its own continue_url", async () => {
      const email = nextEmail();
      await h.auth.register({ email, password: PASSWORD });
      const first = await h.mailTo(email, /verify/i);
      expect(continueUrlFrom(first)).toBe("");
      const continueUrl = "http://localhost:3000/verified";
      await h.auth.resendVerificationEmail({ email, continueUrl });
      await h.server.afterReply.settled();
      await h.server.mail.flush();
      await h.smtp.waitFor((m) => m.to.includes(email) && m !== first && continueUrlFrom(m) !== "");
      const resent = await h.mailTo(email, /verify/i);
      expect(continueUrlFrom(resent)).toBe(continueUrl);
      expect(await h.auth.verifyEmail({ token: tokenFrom(resent) })).toMatchObject({ continueUrl });
    });

    it("RequestPasswordReset: the reset link carries it and ResetPassword answers it", async () => {
      const email = nextEmail();
      await h.signUp(email);
      const continueUrl = "https://app.example.com/app/signed-out";
      await h.auth.requestPasswordReset({ email, continueUrl });
      const mail = await h.mailTo(email, /reset/i);
      expect(continueUrlFrom(mail)).toBe(continueUrl);
      const answer = await h.auth.resetPassword({
        token: tokenFrom(mail),
        newPassword: "a brand new passphrase",
      });
      expect(answer.continueUrl).toBe(continueUrl);
    });

    it("RequestDeactivation and RequestDeletion: the confirmation answers it", async () => {
      const email = nextEmail();
      await h.signUp(email);
      const me = h.authed((await h.login(email)).accessToken);
      const continueUrl = "https://app.example.com/app/goodbye";
      await me.requestDeactivation({ currentPassword: PASSWORD, continueUrl });
      const deactivation = await h.mailTo(email, /deactivat/i);
      expect(continueUrlFrom(deactivation)).toBe(continueUrl);
      expect(await h.auth.confirmDeactivation({ token: tokenFrom(deactivation) })).toMatchObject({
        continueUrl,
      });

      const other = nextEmail();
      await h.signUp(other);
      const them = h.authed((await h.login(other)).accessToken);
      await them.requestDeletion({ currentPassword: PASSWORD, continueUrl });
      const deletion = await h.mailTo(other, /deletion/i);
      expect(await h.auth.confirmDeletion({ token: tokenFrom(deletion) })).toMatchObject({ continueUrl });
    });

    it("UpdateCurrentUser (a new email): the link to the new address carries it and VerifyEmail answers it", async () => {
      const email = nextEmail();
      await h.signUp(email);
      const me = h.authed((await h.login(email)).accessToken);
      const newEmail = nextEmail();
      const continueUrl = "https://app.example.com/app/profile?moved=1";
      await me.updateCurrentUser({ email: newEmail, currentPassword: PASSWORD, continueUrl });
      const mail = await h.mailTo(newEmail, /confirm your new email/i);
      expect(continueUrlFrom(mail)).toBe(continueUrl);
      expect(await h.auth.verifyEmail({ token: tokenFrom(mail) })).toMatchObject({ continueUrl });
      expect((await h.authed((await h.login(newEmail)).accessToken).getCurrentUser({})).user?.email).toBe(
        newEmail,
      );
      // Without an email change there is no link to carry it.
      const answer = await refusal(me.updateCurrentUser({ firstName: "Moved", continueUrl }));
      expect(answer).toMatchObject({ code: "InvalidArgument" });
      expect(answer.message).toMatch(/^continue_url: .*email/);
    });

    it("without a continue_url the link has none and the answer is empty", async () => {
      const email = nextEmail();
      await h.auth.register({ email, password: PASSWORD });
      const mail = await h.mailTo(email, /verify/i);
      expect(mail.text).not.toMatch(/continue_url/);
      expect(await h.auth.verifyEmail({ token: tokenFrom(mail) })).toMatchObject({ continueUrl: "" });
    });

    it("refuses every open-redirect attempt with INVALID_ARGUMENT naming continue_url, and sends nothing", async () => {
      const email = nextEmail();
      await h.signUp(email);
      const me = h.authed((await h.login(email)).accessToken);
      const sentBefore = h.smtp.to(email).length;
      const expected = { code: "InvalidArgument", reason: "CONTINUE_URL_NOT_ALLOWED" };
      for (const continueUrl of OPEN_REDIRECT_ATTEMPTS) {
        // Thunks, not promises: calls started together and awaited one by one leave a later refusal
        // unhandled while an earlier one is awaited, which vitest reports as an error of the run.
        const calls = [
          () => h.auth.register({ email: nextEmail(), password: PASSWORD, continueUrl }),
          () => h.auth.resendVerificationEmail({ email, continueUrl }),
          () => h.auth.requestPasswordReset({ email, continueUrl }),
          () => me.requestDeactivation({ currentPassword: PASSWORD, continueUrl }),
          () => me.requestDeletion({ currentPassword: PASSWORD, continueUrl }),
          () => me.updateCurrentUser({ email: nextEmail(), currentPassword: PASSWORD, continueUrl }),
        ];
        for (const call of calls) {
          const answer = await refusal(call());
          expect(answer, continueUrl.slice(0, 80)).toMatchObject(expected);
          expect(answer.message).toMatch(/^continue_url: /);
        }
      }
      await h.server.afterReply.settled();
      await h.server.mail.flush();
      expect(h.smtp.to(email)).toHaveLength(sentBefore);
    });
  });
});

describe("continue_url without an allow-list", () => {
  let h: AccountsHarness;
  beforeAll(async () => {
    h = await startAccountsHarness();
  });
  afterAll(() => h?.close());

  it("refuses any continue_url, and saying so names the setting", async () => {
    const answer = await refusal(
      h.auth.requestPasswordReset({ email: "nobody@example.com", continueUrl: "https://app.example.com/" }),
    );
    expect(answer).toMatchObject({ code: "InvalidArgument", reason: "CONTINUE_URL_NOT_ALLOWED" });
    expect(answer.message).toMatch(/continue_url: .*AUTHD_CONTINUE_URL_ALLOWLIST/);
  });
});
