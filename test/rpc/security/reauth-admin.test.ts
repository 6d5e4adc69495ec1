// AdminService changes to other accounts re-authenticate the administrator exactly as their own
// password change does: SetUserPassword, DeleteUser, UpdateUser that grants or removes a role, and
// CreateUser with an admin role need `current_password`, a second factor proven recently where the
// administrator has one, and a signed-in session (an `admin` API key is refused). A stolen access
// token whose step-up has expired can therefore neither take over a member (set its password and
// sign in as it) nor plant a second administrator. When an administrator is added, the tenant's
// administrators are told by email.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../../gen/authd/v1/admin_pb.js";
import { ErrorInfoSchema, ErrorReason } from "../../../gen/authd/v1/common_pb.js";
import { AuthenticatorType } from "../../../gen/authd/v1/mfa_pb.js";
import { SessionService } from "../../../gen/authd/v1/session_pb.js";
import { expectCode, tokenFrom } from "../../helpers/accounts.js";
import { appCode, type MfaHarness, PASSWORD, startMfaHarness } from "../../helpers/mfa.js";
import { bearer, createUser, type TestUser } from "../../helpers/sessions.js";

const NEW_PASSWORD = "a password the thief chose";
const invite = { case: "sendInvitation" as const, value: true };

async function reasonOf(call: Promise<unknown>): Promise<string> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );
  if (!error) return "ok";
  const info = error.findDetails(ErrorInfoSchema)[0];
  return `${Code[error.code]}/${info ? ErrorReason[info.reason] : "none"}`;
}

describe("re-authentication of AdminService changes to other accounts", () => {
  let h: MfaHarness;
  let n = 0;
  const client = { ip: "127.0.0.1", rateLimitKey: "127.0.0.1", userAgent: "vitest" };
  const now = () => h.server.clock.now();
  const admin = (token: string) => h.server.client(AdminService, "connect", bearer(token));

  beforeAll(async () => {
    h = await startMfaHarness({
      AUTHD_ACCESS_TOKEN_TTL: "86400",
      // Short, so a test outlives a step-up without outliving its access token.
      AUTHD_STEP_UP_TTL: "60",
      AUTHD_LOGIN_MAX_FAILURES: "3",
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  async function tenant(): Promise<{ id: string; slug: string }> {
    n++;
    return h.server.app.tenants.create({ slug: `reauth-${n}`, name: `Reauth ${n}` }, null, client);
  }

  async function signIn(user: TestUser, slug: string): Promise<string> {
    const res = await h.auth.login({ identifier: user.email, password: PASSWORD, tenant: slug });
    if (res.result.case !== "tokens") throw new Error(`expected tokens, got ${res.result.case}`);
    return res.result.value.accessToken;
  }

  /** An admin of `slug` who enrolled TOTP in the session whose access token the test holds. */
  async function adminWithTotp(tenantId: string, slug: string) {
    const user = await createUser(h.server, { tenantId, roles: ["admin"] });
    const token = await signIn(user, slug);
    const mfa = h.mfaFor(token);
    const created = await mfa.createAuthenticator({
      type: AuthenticatorType.TOTP,
      currentPassword: PASSWORD,
    });
    const totpId = created.authenticator?.id ?? "";
    await mfa.verifyAuthenticator({
      authenticatorId: totpId,
      code: appCode(created.totpSecret, now()),
      currentPassword: PASSWORD,
    });
    return { ...user, token, mfa, totpId, secret: created.totpSecret };
  }

  it("a stolen access token whose step-up expired sets no password, deletes nobody, changes no role and creates no admin", async () => {
    const t = await tenant();
    const boss = await adminWithTotp(t.id, t.slug);
    const member = await createUser(h.server, { tenantId: t.id, roles: ["member"] });
    const planted = `planted-${n}@example.com`;
    // The activation's step-up ends: what is left is a bare access token, as a thief would hold.
    h.server.clock.advanceSeconds(61);
    const c = admin(boss.token);
    const attempts: Record<string, (currentPassword: string) => Promise<unknown>> = {
      "UpdateUser granting admin": (currentPassword) =>
        c.updateUser({ userId: member.id, replaceRoles: true, roles: ["admin"], currentPassword }),
      "CreateUser with an admin role": (currentPassword) =>
        c.createUser({ email: planted, roles: ["admin"], credential: invite, currentPassword }),
      SetUserPassword: (currentPassword) =>
        c.setUserPassword({ userId: member.id, newPassword: NEW_PASSWORD, currentPassword }),
      DeleteUser: (currentPassword) => c.deleteUser({ userId: member.id, currentPassword }),
    };
    for (const [rpc, attempt] of Object.entries(attempts)) {
      const missing = await expectCode(attempt(""), Code.InvalidArgument);
      expect(missing.rawMessage, rpc).toMatch(/^current_password/);
      // The password alone is not enough where the administrator has a second factor.
      expect(await reasonOf(attempt(PASSWORD)), rpc).toBe("PermissionDenied/STEP_UP_REQUIRED");
    }
    // Nothing happened: the member keeps its password and role, and no admin was planted.
    const memberToken = await signIn(member, t.slug);
    expect((await c.getUser({ userId: member.id })).user?.roles).toEqual(["member"]);
    expect((await c.listUsers({ emailPrefix: planted })).users).toEqual([]);
    expect(h.smtp.to(planted)).toEqual([]);
    expect(
      (await h.server.client(SessionService).validateToken({ token: memberToken })).active,
      "the member's session lives on",
    ).toBe(true);

    // The owner, with a fresh second factor and the password, can do each of them.
    await boss.mfa.stepUp({ authenticatorId: boss.totpId, code: appCode(boss.secret, now()) });
    for (const [rpc, attempt] of Object.entries(attempts)) {
      expect(await reasonOf(attempt(PASSWORD)), rpc).toBe("ok");
    }
  });

  it("a wrong current_password counts towards the administrator's re-authentication limit", async () => {
    const t = await tenant();
    const boss = await createUser(h.server, { tenantId: t.id, roles: ["admin"] });
    const member = await createUser(h.server, { tenantId: t.id, roles: ["member"] });
    const c = admin(await signIn(boss, t.slug));
    const set = (currentPassword: string) =>
      c.setUserPassword({ userId: member.id, newPassword: NEW_PASSWORD, currentPassword });
    for (let i = 0; i < 3; i++) {
      expect(await reasonOf(set(`guess ${i}`))).toBe("Unauthenticated/INVALID_CREDENTIALS");
    }
    expect(await reasonOf(set(PASSWORD))).toBe("ResourceExhausted/RATE_LIMITED");
    await signIn(member, t.slug);
  });

  it("an administrator without a second factor re-authenticates with the password alone", async () => {
    const t = await tenant();
    const boss = await createUser(h.server, { tenantId: t.id, roles: ["admin"] });
    const member = await createUser(h.server, { tenantId: t.id, roles: ["member"] });
    const c = admin(await signIn(boss, t.slug));
    await expectCode(
      c.setUserPassword({ userId: member.id, newPassword: NEW_PASSWORD }),
      Code.InvalidArgument,
      /^current_password/,
    );
    const { revokedSessions } = await c.setUserPassword({
      userId: member.id,
      newPassword: NEW_PASSWORD,
      currentPassword: PASSWORD,
    });
    expect(revokedSessions).toBe(0);
    const res = await h.auth.login({ identifier: member.email, password: NEW_PASSWORD, tenant: t.slug });
    expect(res.result.case).toBe("tokens");
  });

  it("an API key with the admin scope cannot make these changes, but still reads and edits profiles", async () => {
    const t = await tenant();
    const boss = await createUser(h.server, { tenantId: t.id, roles: ["admin"] });
    const member = await createUser(h.server, { tenantId: t.id, roles: ["member"] });
    const { secret } = await h.server
      .client(SessionService, "connect", bearer(await signIn(boss, t.slug)))
      .createApiKey({ name: "admin tool", scopes: ["admin"], currentPassword: PASSWORD });
    const key = admin(secret);
    const refused = {
      SetUserPassword: () =>
        key.setUserPassword({ userId: member.id, newPassword: NEW_PASSWORD, currentPassword: PASSWORD }),
      "UpdateUser granting admin": () =>
        key.updateUser({
          userId: member.id,
          replaceRoles: true,
          roles: ["admin"],
          currentPassword: PASSWORD,
        }),
      "CreateUser with an admin role": () =>
        key.createUser({
          email: `key-admin-${n}@example.com`,
          roles: ["admin"],
          credential: invite,
          currentPassword: PASSWORD,
        }),
      DeleteUser: () => key.deleteUser({ userId: member.id, currentPassword: PASSWORD }),
    };
    for (const [rpc, call] of Object.entries(refused)) {
      const error = await expectCode(call(), Code.PermissionDenied);
      expect(error.rawMessage, rpc).toMatch(/signed-in session/);
    }
    expect((await key.getUser({ userId: member.id })).user?.roles).toEqual(["member"]);
    await signIn(member, t.slug);
    // What changes no credential and grants nothing stays open to the key.
    expect((await key.updateUser({ userId: member.id, firstName: "Ada" })).user?.firstName).toBe("Ada");
    const made = await key.createUser({ email: `key-member-${n}@example.com`, credential: invite });
    expect(made.user?.roles).toEqual(["member"]);
  });
});

describe("a tenant's administrators are told when an administrator is added", () => {
  let h: MfaHarness;
  const client = { ip: "127.0.0.1", rateLimitKey: "127.0.0.1", userAgent: "vitest" };
  const SUBJECT = /administrator/i;

  beforeAll(async () => {
    h = await startMfaHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  async function signIn(user: TestUser, slug: string): Promise<string> {
    const res = await h.auth.login({ identifier: user.email, password: PASSWORD, tenant: slug });
    if (res.result.case !== "tokens") throw new Error(`expected tokens, got ${res.result.case}`);
    return res.result.value.accessToken;
  }
  const noticesTo = (address: string) =>
    h.smtp.to(address).filter((m) => SUBJECT.test(m.subject) && !/set your password/i.test(m.subject));

  it("by CreateUser, by an accepted invitation and by UpdateUser; other tenants and other roles tell nobody", async () => {
    const initech = await h.server.app.tenants.create({ slug: "initech", name: "Initech" }, null, client);
    const other = await h.server.app.tenants.create({ slug: "hooli", name: "Hooli" }, null, client);
    const boss = await createUser(h.server, { tenantId: initech.id, roles: ["admin"] });
    const colleague = await createUser(h.server, { tenantId: initech.id, roles: ["admin"] });
    const stranger = await createUser(h.server, { tenantId: other.id, roles: ["admin"] });
    const member = await createUser(h.server, { tenantId: initech.id, roles: ["member"] });
    const c = h.server.client(AdminService, "connect", bearer(await signIn(boss, "initech")));

    // A new admin by invitation: both admins hear of it, naming the new address and who added it.
    const invited = "new-admin@example.com";
    await c.createUser({ email: invited, roles: ["admin"], credential: invite, currentPassword: PASSWORD });
    const created = await h.mailTo(colleague.email, SUBJECT);
    expect(created.text).toContain(invited);
    expect(created.text).toContain(boss.email);
    expect(created.text).toContain("Initech");
    await h.mailTo(boss.email, SUBJECT);

    // The invitation accepted: the admin can sign in from now on, and the others are told.
    const invitation = await h.mailTo(invited, /invited/i);
    await h.auth.resetPassword({
      token: tokenFrom(invitation),
      newPassword: "the new admin's own passphrase",
    });
    const accepted = await h.mailTo(colleague.email, /can now sign in/i);
    expect(accepted.text).toContain(invited);

    // A member made admin.
    await c.updateUser({
      userId: member.id,
      replaceRoles: true,
      roles: ["admin"],
      currentPassword: PASSWORD,
    });
    const granted = await h.mailTo(colleague.email, new RegExp(member.email.replace(/[.]/g, "\\.")));
    expect(granted.text).toContain(boss.email);

    // A new member, a role change that grants no admin: no notice.
    await c.createUser({ email: "plain-member@example.com", credential: invite });
    await c.updateUser({
      userId: member.id,
      replaceRoles: true,
      roles: ["admin", "member"],
      currentPassword: PASSWORD,
    });
    await h.mailTo("plain-member@example.com", /invited/i);
    expect(noticesTo(colleague.email).map((m) => m.subject)).toHaveLength(3);
    expect(noticesTo(stranger.email)).toEqual([]);
    // The new admin hears of the next one, never of itself.
    expect(noticesTo(invited).filter((m) => m.subject.includes(invited))).toEqual([]);
    expect(noticesTo(invited).filter((m) => m.subject.includes(member.email))).toHaveLength(1);
  });
});
