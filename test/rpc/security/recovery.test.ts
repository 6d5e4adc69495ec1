// A password reset is account recovery: whatever a thief set up from a stolen session (an API key, an
// email change to their own address, a pending deactivation or deletion) stops working. A password
// change voids pending email changes, and revokes API keys when its session policy ends other sessions.
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthService } from "../../../gen/authd/v1/auth_pb.js";
import { SessionScope } from "../../../gen/authd/v1/common_pb.js";
import { SessionService } from "../../../gen/authd/v1/session_pb.js";
import {
  type AccountsHarness,
  expectCode,
  PASSWORD,
  startAccountsHarness,
  tokenFrom,
} from "../../helpers/accounts.js";

const NEW_PASSWORD = "a completely new passphrase";

let h: AccountsHarness;

beforeAll(async () => {
  h = await startAccountsHarness();
});
afterAll(() => h.close());

/** What a thief does with a stolen session: an API key, and an email change to their address. */
async function stealAccount(email: string, thiefEmail: string) {
  await h.signUp(email);
  const stolen = await h.login(email);
  const sessions = h.server.client(SessionService, "connect", {
    authorization: `Bearer ${stolen.accessToken}`,
  });
  const { secret } = await sessions.createApiKey({
    name: "backdoor",
    scopes: ["profile:read"],
    currentPassword: PASSWORD,
  });
  await h.authed(stolen.accessToken).updateCurrentUser({ email: thiefEmail, currentPassword: PASSWORD });
  const emailChangeToken = tokenFrom(await h.mailTo(thiefEmail, /new email/i));
  return { stolen, apiKey: secret, emailChangeToken };
}

const withKey = (key: string) => h.server.client(AuthService, "connect", { "x-api-key": key });

async function resetByEmail(email: string, newPassword = NEW_PASSWORD) {
  await h.auth.requestPasswordReset({ email });
  const token = tokenFrom(await h.mailTo(email, /reset your password/i));
  await h.auth.resetPassword({ token, newPassword });
}

describe("a password reset evicts whoever held the account", () => {
  it("revokes API keys made from a stolen session", async () => {
    const { apiKey } = await stealAccount("victim1@example.com", "thief1@example.org");
    expect((await withKey(apiKey).getCurrentUser({})).user?.email).toBe("victim1@example.com");
    await resetByEmail("victim1@example.com");
    await expectCode(withKey(apiKey).getCurrentUser({}), Code.Unauthenticated);
  });

  it("voids an email change requested from a stolen session, so the account stays the owner's", async () => {
    const { emailChangeToken } = await stealAccount("victim2@example.com", "thief2@example.org");
    await resetByEmail("victim2@example.com");
    await expectCode(h.auth.verifyEmail({ token: emailChangeToken }), Code.InvalidArgument, /token/);
    await h.login("victim2@example.com", NEW_PASSWORD);
    await expectCode(h.login("thief2@example.org", NEW_PASSWORD), Code.Unauthenticated);
  });

  it("voids pending deactivation and deletion links", async () => {
    const { stolen } = await stealAccount("victim3@example.com", "thief3@example.org");
    await h.authed(stolen.accessToken).requestDeactivation({ currentPassword: PASSWORD });
    const deactivate = tokenFrom(await h.mailTo("victim3@example.com", /deactivation/i));
    await h.authed(stolen.accessToken).requestDeletion({ currentPassword: PASSWORD });
    const del = tokenFrom(await h.mailTo("victim3@example.com", /deletion/i));
    await resetByEmail("victim3@example.com");
    await expectCode(h.auth.confirmDeactivation({ token: deactivate }), Code.InvalidArgument, /token/);
    await expectCode(h.auth.confirmDeletion({ token: del }), Code.InvalidArgument, /token/);
    await h.login("victim3@example.com", NEW_PASSWORD);
  });

  it("tells the owner what it ended", async () => {
    await h.signUp("victim4@example.com");
    await resetByEmail("victim4@example.com");
    const notice = await h.mailTo("victim4@example.com", /password was reset/i);
    expect(notice.text).toMatch(/every session was signed out/);
    expect(notice.text).toMatch(/every API key revoked/);
    expect(notice.text).toMatch(/remembered device/);
    expect(notice.text).toMatch(/email change, deactivation, deletion/);
  });
});

describe("a password change", () => {
  async function change(accessToken: string, sessionPolicy: SessionScope) {
    await h
      .authed(accessToken)
      .changePassword({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD, endSessions: sessionPolicy });
  }

  it.each([
    ["keep", SessionScope.NONE],
    ["revoke others", SessionScope.OTHERS],
  ])("voids a pending email change (policy %s)", async (name, policy) => {
    const slug = name.replace(" ", "-");
    const { stolen, emailChangeToken } = await stealAccount(
      `owner-${slug}@example.com`,
      `thief-${slug}@example.org`,
    );
    const owner = await h.login(`owner-${slug}@example.com`);
    await change(owner.accessToken, policy);
    await expectCode(h.auth.verifyEmail({ token: emailChangeToken }), Code.InvalidArgument, /token/);
    expect(stolen.accessToken).not.toBe(owner.accessToken);
  });

  it.each([
    ["unspecified (revoke others)", SessionScope.UNSPECIFIED],
    ["revoke others", SessionScope.OTHERS],
    ["revoke all", SessionScope.ALL],
  ])("revokes every API key when the policy ends other sessions: %s", async (name, policy) => {
    const slug = name.replace(/\W+/g, "-");
    const { apiKey } = await stealAccount(`keys-${slug}@example.com`, `keythief-${slug}@example.org`);
    const owner = await h.login(`keys-${slug}@example.com`);
    await change(owner.accessToken, policy);
    await expectCode(withKey(apiKey).getCurrentUser({}), Code.Unauthenticated);
    const notice = await h.mailTo(`keys-${slug}@example.com`, /password was changed/i);
    expect(notice.text).toMatch(/every API key revoked/);
  });

  it("keeps API keys and sessions under the keep policy", async () => {
    const { apiKey, stolen } = await stealAccount("keeper@example.com", "keeperthief@example.org");
    const owner = await h.login("keeper@example.com");
    await change(owner.accessToken, SessionScope.NONE);
    expect((await withKey(apiKey).getCurrentUser({})).user?.email).toBe("keeper@example.com");
    expect((await h.authed(stolen.accessToken).getCurrentUser({})).user?.email).toBe("keeper@example.com");
  });
});
