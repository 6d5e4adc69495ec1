// Isolation between tenants, RPC by RPC, on SQLite and PostgreSQL: an admin of one tenant hands
// every id-taking RPC of every service (AdminService, SessionService, MfaService, AuthService's
// identity RPCs) the ids of another tenant's user, and each answers NOT_FOUND, exactly like an id
// that does not exist; afterwards nothing of that user changed. The admin RPCs themselves refuse
// members and other tenants' admins (PERMISSION_DENIED).
import { randomUUID } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, expect, it } from "vitest";
import { AdminService } from "../../../gen/authd/v1/admin_pb.js";
import { AuthService } from "../../../gen/authd/v1/auth_pb.js";
import { UserStatus } from "../../../gen/authd/v1/common_pb.js";
import { SessionService } from "../../../gen/authd/v1/session_pb.js";
import { forEachDatabase } from "../../helpers/databases.js";
import { appCode, type MfaHarness, PASSWORD, startMfaHarness, type TotpUser } from "../../helpers/mfa.js";
import { bearer, createUser } from "../../helpers/sessions.js";
import { inTransaction } from "../../helpers/transaction.js";

async function codeOf(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return "ok";
  } catch (error) {
    return Code[ConnectError.from(error).code];
  }
}

forEachDatabase("isolation between tenants", (database) => {
  let h: MfaHarness;
  let victim: TotpUser;
  const ids = { session: "", apiKey: "", apiKeySecret: "", device: "", identity: "", challenge: "" };
  let attackerToken = "";
  let memberToken = "";

  beforeAll(async () => {
    const env: Record<string, string> = { AUTHD_ACCESS_TOKEN_TTL: "86400", ...(await database.env()) };
    h = await startMfaHarness(env);
    const client = { ip: "127.0.0.1", rateLimitKey: "127.0.0.1", userAgent: "vitest" };
    const acme = await h.server.app.tenants.create({ slug: "acme", name: "Acme" }, null, client);
    const globex = await h.server.app.tenants.create({ slug: "globex", name: "Globex" }, null, client);

    // The victim: a globex user with a session, an API key, a TOTP factor, a trusted device, a
    // linked identity and a pending sign-in challenge.
    victim = await h.userWithTotp("victim@example.com");
    await inTransaction(h.server.db, (tx) =>
      tx.accounts.update(victim.userId, { tenantId: globex.id, roles: ["admin"] }),
    );
    ids.session = (
      await h.server.client(SessionService).validateToken({ token: victim.tokens.accessToken })
    ).sessionId;
    await victim.mfa.stepUp({
      authenticatorId: victim.totpId,
      code: appCode(victim.secret, h.server.clock.now()),
    });
    const key = await h.server
      .client(SessionService, "connect", bearer(victim.tokens.accessToken))
      .createApiKey({ name: "victim", scopes: ["sessions:read"], currentPassword: PASSWORD });
    ids.apiKey = key.apiKey?.id ?? "";
    ids.apiKeySecret = key.secret;
    const signIn = await h.auth.login({ identifier: victim.email, password: PASSWORD, tenant: "globex" });
    if (signIn.result.case !== "mfaChallenge") throw new Error("expected a challenge");
    await h.mfaFor("").verifyChallenge({
      challengeId: signIn.result.value.challengeId,
      authenticatorId: victim.recoveryId,
      code: victim.codes[0] ?? "",
      rememberDevice: true,
    });
    ids.device = (await victim.mfa.listTrustedDevices({})).devices[0]?.id ?? "";
    const pending = await h.auth.login({ identifier: victim.email, password: PASSWORD, tenant: "globex" });
    if (pending.result.case !== "mfaChallenge") throw new Error("expected a challenge");
    ids.challenge = pending.result.value.challengeId;
    ids.identity = randomUUID();
    const now = h.server.clock.now();
    await inTransaction(h.server.db, (tx) =>
      tx.identities.insert({
        id: ids.identity,
        userId: victim.userId,
        tenantId: globex.id,
        provider: "test",
        subject: "victim-subject",
        email: victim.email,
        tokensSealed: null,
        tokensUpdatedAt: null,
        createdAt: now,
        lastSignInAt: now,
      }),
    );
    expect(Object.values(ids).every((id) => id !== "")).toBe(true);

    // The attacker: an admin of acme, password only; and a member of acme.
    const loginToAcme = async (email: string) => {
      const res = await h.auth.login({ identifier: email, password: PASSWORD, tenant: "acme" });
      if (res.result.case !== "tokens") throw new Error("expected tokens");
      return res.result.value.accessToken;
    };
    const attacker = await createUser(h.server, { tenantId: acme.id, roles: ["admin"] });
    attackerToken = await loginToAcme(attacker.email);
    const member = await createUser(h.server, { tenantId: acme.id, roles: ["member"] });
    memberToken = await loginToAcme(member.email);
  });
  afterAll(async () => {
    await h?.close();
  });

  it("every id-taking RPC answers NOT_FOUND for another tenant's ids, and the other tenant's user is untouched", async () => {
    const as = bearer(attackerToken);
    const sessions = h.server.client(SessionService, "connect", as);
    const mfa = h.mfaFor(attackerToken);
    const auth = h.server.client(AuthService, "connect", as);
    const admin = h.server.client(AdminService, "connect", as);
    const userId = victim.userId;
    const walk: Record<string, () => Promise<unknown>> = {
      "SessionService.GetSession": () => sessions.getSession({ sessionId: ids.session }),
      "SessionService.RevokeSession": () => sessions.revokeSession({ sessionId: ids.session }),
      "SessionService.GetApiKey": () => sessions.getApiKey({ apiKeyId: ids.apiKey }),
      "SessionService.RevokeApiKey": () => sessions.revokeApiKey({ apiKeyId: ids.apiKey }),
      "MfaService.GetAuthenticator": () => mfa.getAuthenticator({ authenticatorId: victim.totpId }),
      "MfaService.VerifyAuthenticator": () =>
        mfa.verifyAuthenticator({
          authenticatorId: victim.totpId,
          code: "000000",
          currentPassword: PASSWORD,
        }),
      "MfaService.DeleteAuthenticator": () =>
        mfa.deleteAuthenticator({
          authenticatorId: victim.totpId,
          proof: { case: "currentPassword", value: PASSWORD },
        }),
      "MfaService.StepUp": () => mfa.stepUp({ authenticatorId: victim.totpId, code: "000000" }),
      "MfaService.RevokeTrustedDevice": () => mfa.revokeTrustedDevice({ deviceId: ids.device }),
      "AuthService.UnlinkIdentity": () => auth.unlinkIdentity({ identityId: ids.identity }),
      "AuthService.GetProviderTokens": () => auth.getProviderTokens({ identityId: ids.identity }),
      "AdminService.GetUser": () => admin.getUser({ userId }),
      "AdminService.UpdateUser": () =>
        admin.updateUser({ userId, firstName: "Mallory", status: UserStatus.DEACTIVATED }),
      "AdminService.SetUserPassword": () =>
        admin.setUserPassword({ userId, newPassword: "a password mallory chose" }),
      "AdminService.DeleteUser": () => admin.deleteUser({ userId }),
      "AdminService.ListUserSessions": () => admin.listUserSessions({ userId }),
      "AdminService.RevokeUserSessions": () => admin.revokeUserSessions({ userId }),
      "AdminService.ListAuditEvents": () => admin.listAuditEvents({ userId }),
    };
    const answers: Record<string, string> = {};
    for (const [rpc, call] of Object.entries(walk)) answers[rpc] = await codeOf(call);
    expect(answers).toEqual(Object.fromEntries(Object.keys(walk).map((rpc) => [rpc, "NotFound"])));

    // A pending sign-in's challenge id is a capability of its own: answering it with the attacker's
    // factor never works.
    const attackerFactor = (await mfa.listAuthenticators({})).authenticators[0]?.id ?? randomUUID();
    expect(
      await codeOf(() =>
        h
          .mfaFor("")
          .verifyChallenge({ challengeId: ids.challenge, authenticatorId: attackerFactor, code: "000000" }),
      ),
    ).not.toBe("ok");

    // Nothing of the victim changed.
    const check = h.server.client(SessionService);
    expect((await check.validateToken({ token: victim.tokens.accessToken })).active).toBe(true);
    expect((await check.validateToken({ token: ids.apiKeySecret })).active).toBe(true);
    expect((await victim.mfa.getAuthenticator({ authenticatorId: victim.totpId })).authenticator?.id).toBe(
      victim.totpId,
    );
    expect((await victim.mfa.listTrustedDevices({})).devices.map((d) => d.id)).toEqual([ids.device]);
    expect((await victim.auth.listLinkedIdentities({})).identities.map((i) => i.id)).toEqual([ids.identity]);
    const me = (await victim.auth.getCurrentUser({})).user;
    expect(me?.firstName).toBe("");
    expect(me?.status).toBe(UserStatus.ACTIVE);
    const again = await h.auth.login({ identifier: victim.email, password: PASSWORD, tenant: "globex" });
    expect(again.result.case).toBe("mfaChallenge");
  });

  it("every AdminService RPC is refused to members and to another tenant's admins", async () => {
    const userId = victim.userId;
    const calls = (c: ReturnType<typeof h.server.client<typeof AdminService>>, tenant: string) => ({
      CreateTenant: () => c.createTenant({ slug: "evil-co", name: "Evil" }),
      GetTenant: () => c.getTenant({ tenant: { case: "slug", value: "globex" } }),
      ListTenants: () => c.listTenants({}),
      UpdateTenant: () => c.updateTenant({ tenantId: randomUUID(), name: "x" }),
      ListUsers: () => c.listUsers({ tenant }),
      GetUser: () => c.getUser({ tenant, userId }),
      CreateUser: () =>
        c.createUser({
          tenant,
          email: "planted@example.com",
          credential: { case: "sendInvitation", value: true },
        }),
      UpdateUser: () => c.updateUser({ tenant, userId, firstName: "x" }),
      SetUserPassword: () => c.setUserPassword({ tenant, userId, newPassword: "a password mallory chose" }),
      DeleteUser: () => c.deleteUser({ tenant, userId }),
      ListUserSessions: () => c.listUserSessions({ tenant, userId }),
      RevokeUserSessions: () => c.revokeUserSessions({ tenant, userId }),
      ListAuditEvents: () => c.listAuditEvents({ tenant }),
    });
    for (const [token, tenant] of [
      [memberToken, ""],
      [attackerToken, "globex"],
    ] as const) {
      const walk = calls(h.server.client(AdminService, "connect", bearer(token)), tenant);
      const answers: Record<string, string> = {};
      for (const [rpc, call] of Object.entries(walk)) answers[rpc] = await codeOf(call);
      expect(answers).toEqual(Object.fromEntries(Object.keys(walk).map((rpc) => [rpc, "PermissionDenied"])));
    }
    expect(
      (await h.server.client(SessionService).validateToken({ token: victim.tokens.accessToken })).active,
    ).toBe(true);
  });
});
