// Provider sign-in is scoped by tenant, through a real server on SQLite and PostgreSQL: an identity
// (provider, sub) belongs to one account per tenant, linking by email looks only in the tenant
// named, an unknown tenant is said to be one, and a suspended tenant is refused before any second
// factor is challenged.
import { type Client, Code } from "@connectrpc/connect";
import { afterAll, beforeAll, expect, it } from "vitest";
import { AdminService } from "../../../gen/authd/v1/admin_pb.js";
import { ErrorInfoSchema, ErrorReason, TenantStatus } from "../../../gen/authd/v1/common_pb.js";
import { DEFAULT_TENANT_ID } from "../../../src/domain/tenants/records.js";
import { MfaChallengeEntity } from "../../../src/store/entities/mfa.js";
import { UserEntity } from "../../../src/store/entities/user.js";
import { expectCode, PASSWORD } from "../../helpers/accounts.js";
import { forEachDatabase } from "../../helpers/databases.js";
import { type MfaHarness, startMfaHarness } from "../../helpers/mfa.js";
import { type OidcIssuer, providerEnv, startOidcIssuer } from "../../helpers/oidc-issuer.js";
import { bearer, createUser, signIn } from "../../helpers/sessions.js";

forEachDatabase("provider sign-in scoped by tenant", (database) => {
  let h: MfaHarness;
  let issuer: OidcIssuer;
  let admin: Client<typeof AdminService>;
  let n = 0;

  beforeAll(async () => {
    issuer = await startOidcIssuer();
    const env: Record<string, string> = { ...providerEnv(issuer), ...(await database.env()) };
    h = await startMfaHarness(env);
    const operator = await createUser(h.server, {
      tenantId: DEFAULT_TENANT_ID,
      roles: ["admin", "operator"],
    });
    const token = (await signIn(h.server, operator.id)).accessToken;
    admin = h.server.client(AdminService, "connect", bearer(token));
  });
  afterAll(async () => {
    await h?.close();
    await issuer?.close();
  });

  const mint = (sub: string, email: string) =>
    issuer.mint(h.server.clock.now(), { claims: { sub, email, email_verified: true } });

  async function newTenant(): Promise<{ slug: string; id: string }> {
    const slug = `idp-${database.kind}-${++n}`;
    const { tenant } = await admin.createTenant({
      slug,
      name: slug,
    });
    return { slug, id: tenant?.id ?? "" };
  }

  async function providerSignIn(sub: string, email: string, tenant: string) {
    const res = await h.auth.loginWithProvider({ provider: "test", idToken: await mint(sub, email), tenant });
    if (res.result.case !== "tokens") throw new Error(`expected tokens, got ${res.result.case}`);
    return (await h.authed(res.result.value.accessToken).getCurrentUser({})).user;
  }

  it("one identity signs in to a separate account in each tenant, and again to the same one", async () => {
    const acme = await newTenant();
    const inDefault = await providerSignIn("person-1", "person1@example.com", "");
    const inAcme = await providerSignIn("person-1", "person1@example.com", acme.slug);
    expect(inDefault?.tenantId).toBe(DEFAULT_TENANT_ID);
    expect(inAcme?.tenantId).toBe(acme.id);
    expect(inAcme?.id).not.toBe(inDefault?.id);
    expect((await providerSignIn("person-1", "person1@example.com", acme.slug))?.id).toBe(inAcme?.id);
    expect((await providerSignIn("person-1", "person1@example.com", ""))?.id).toBe(inDefault?.id);
  });

  it("a first sign-in links by verified email to the account of the tenant named only", async () => {
    const acme = await newTenant();
    const email = "linker@example.com";
    await h.signUp(email);
    const passwordAccount = (await h.authed((await h.login(email)).accessToken).getCurrentUser({})).user;
    // In acme there is no account with this email: a new one is made.
    const inAcme = await providerSignIn("linker", email, acme.slug);
    expect(inAcme?.id).not.toBe(passwordAccount?.id);
    // In the default tenant the identity links to the verified password account.
    const inDefault = await providerSignIn("linker", email, "");
    expect(inDefault?.id).toBe(passwordAccount?.id);
  });

  it("an unknown tenant answers invalid_argument naming tenant", async () => {
    for (const tenant of ["no-such-tenant", "NOT a slug"]) {
      await expectCode(
        h.auth.loginWithProvider({
          provider: "test",
          idToken: await mint("nobody", "nobody@example.com"),
          tenant,
        }),
        Code.InvalidArgument,
        /^tenant:/,
      );
    }
  });

  it("a suspended tenant's provider sign-in is refused", async () => {
    const acme = await newTenant();
    await providerSignIn("suspended-1", "suspended1@example.com", acme.slug);
    await admin.updateTenant({ tenantId: acme.id, status: TenantStatus.SUSPENDED });
    const refused = await expectCode(
      h.auth.loginWithProvider({
        provider: "test",
        idToken: await mint("suspended-1", "suspended1@example.com"),
        tenant: acme.slug,
      }),
      Code.FailedPrecondition,
    );
    expect(refused.findDetails(ErrorInfoSchema)[0]?.reason).toBe(ErrorReason.TENANT_SUSPENDED);
  });

  it("Login to a suspended tenant is refused before a second factor is challenged", async () => {
    const acme = await newTenant();
    const user = await h.userWithTotp(`totp-${database.kind}@example.com`);
    // Accounts never change tenant through the API: the fixture moves this one into acme.
    await h.server.db.transaction((em) => em.update(UserEntity, { id: user.userId }, { tenantId: acme.id }));
    const login = () => h.auth.login({ identifier: user.email, password: PASSWORD, tenant: acme.slug });
    expect((await login()).result.case).toBe("mfaChallenge");
    const challengesBefore = await challengeCount(user.userId);

    await admin.updateTenant({ tenantId: acme.id, status: TenantStatus.SUSPENDED });
    const refused = await expectCode(login(), Code.FailedPrecondition);
    expect(refused.findDetails(ErrorInfoSchema)[0]?.reason).toBe(ErrorReason.TENANT_SUSPENDED);
    expect(await challengeCount(user.userId)).toBe(challengesBefore);
  });

  const challengeCount = (userId: string) =>
    h.server.db.read((em) => em.countBy(MfaChallengeEntity, { userId }));

  it("one mobile number may be verified in each tenant, and signs in to the tenant named", async () => {
    const acme = await newTenant();
    const mobile = database.kind === "sqlite" ? "+61491570313" : "+61491570737";
    const inDefault = await h.user(`mobile-default-${database.kind}@example.com`);
    const inAcme = await h.user(`mobile-acme-${database.kind}@example.com`);
    // Accounts never change tenant through the API: the fixture moves this one into acme.
    await h.server.db.transaction((em) =>
      em.update(UserEntity, { id: inAcme.userId }, { tenantId: acme.id }),
    );
    for (const u of [inDefault, inAcme]) {
      await u.auth.updateCurrentUser({ mobile, currentPassword: PASSWORD });
      await u.mfa.resendMobileVerification({});
      await u.mfa.verifyMobile({ code: await h.smsCode(mobile) });
    }
    const signedIn = async (tenant: string) => {
      const res = await h.auth.login({ identifier: mobile, password: PASSWORD, tenant });
      if (res.result.case !== "tokens") throw new Error(`expected tokens, got ${res.result.case}`);
      return (await h.authed(res.result.value.accessToken).getCurrentUser({})).user?.id;
    };
    expect(await signedIn("")).toBe(inDefault.userId);
    expect(await signedIn(acme.slug)).toBe(inAcme.userId);
  });
});
