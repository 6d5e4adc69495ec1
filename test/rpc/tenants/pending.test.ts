// RegisterCompany cannot squat slugs, through a real server on SQLite and PostgreSQL: the tenant it
// makes is pending until its first admin follows the emailed link (which activates it), nobody signs
// in to it or joins it meanwhile, and one left unverified for AUTHD_PENDING_TENANT_TTL is released by
// the periodic purge, with its unverified account, so its slug can be registered again. An
// operator's CreateTenant is active at once.
import { type Client, Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../../gen/authd/v1/admin_pb.js";
import { ErrorInfoSchema, ErrorReason, TenantStatus } from "../../../gen/authd/v1/common_pb.js";
import { DEFAULT_TENANT_ID } from "../../../src/domain/tenants/records.js";
import { type AccountsHarness, expectCode, startAccountsHarness, tokenFrom } from "../../helpers/accounts.js";
import { forEachDatabase } from "../../helpers/databases.js";
import { type OidcIssuer, providerEnv, startOidcIssuer } from "../../helpers/oidc-issuer.js";
import { bearer, createUser, signIn } from "../../helpers/sessions.js";
import type { ReceivedMail } from "../../helpers/smtp.js";

const PASSWORD = "purple monkey dishwasher lamp";
/** The documented default of AUTHD_PENDING_TENANT_TTL. */
const PENDING_TTL_SECONDS = 48 * 3600;

async function reasonOf(call: Promise<unknown>, code: Code): Promise<string> {
  const error = await expectCode(call, code);
  const info = error.findDetails(ErrorInfoSchema)[0];
  return info ? ErrorReason[info.reason] : "none";
}

forEachDatabase("a company signing itself up", (database) => {
  let h: AccountsHarness;
  let issuer: OidcIssuer;
  let operatorId: string;
  let n = 0;

  beforeAll(async () => {
    issuer = await startOidcIssuer();
    const env: Record<string, string> = {
      ...providerEnv(issuer),
      AUTHD_REGISTRATIONS_PER_IP: "1000",
      AUTHD_EMAILS_PER_IP: "1000",
      ...(await database.env()),
    };
    h = await startAccountsHarness(env);
    operatorId = (await createUser(h.server, { tenantId: DEFAULT_TENANT_ID, roles: ["operator"] })).id;
  });
  afterAll(async () => {
    await h?.close();
    await issuer?.close();
  });

  const slug = () => `pending-${database.kind}-${++n}`;

  /** AdminService as the operator, signed in now (the tests move the clock past any earlier token). */
  async function operator(): Promise<Client<typeof AdminService>> {
    const { accessToken } = await signIn(h.server, operatorId);
    return h.server.client(AdminService, "connect", bearer(accessToken));
  }

  /** Delivers queued mail and answers the first message to `to` matching `subject` after `since`. */
  async function mailAfter(since: number, to: string, subject: RegExp): Promise<ReceivedMail> {
    await h.server.afterReply.settled();
    await h.server.mail.flush();
    const deadline = Date.now() + 5000;
    for (;;) {
      const found = h.smtp.messages.slice(since).find((m) => m.to.includes(to) && subject.test(m.subject));
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no mail to ${to} matching ${subject}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Signs a company up; answers its tenant and the verification token mailed to its first admin. */
  async function registerCompany(companySlug: string, email: string) {
    const since = h.smtp.messages.length;
    const { tenant } = await h.auth.registerCompany({
      companyName: `Company ${companySlug}`,
      companySlug,
      user: { email, password: PASSWORD },
    });
    if (!tenant) throw new Error("no tenant answered");
    return { tenant, token: tokenFrom(await mailAfter(since, email, /verify/i)) };
  }

  const statusOf = async (companySlug: string) =>
    (await (await operator()).getTenant({ tenant: { case: "slug", value: companySlug } })).tenant?.status;

  const release = () => h.server.app.tenants.releaseUnverified();

  const login = (email: string, tenant: string) =>
    h.auth.login({ identifier: email, password: PASSWORD, tenant });

  it("five unverified sign-ups leave their slugs pending: taken, listed as PENDING, and nobody signs in to them or joins them", async () => {
    const slugs = [slug(), slug(), slug(), slug(), slug()];
    for (const [i, s] of slugs.entries()) {
      const { tenant } = await registerCompany(s, `squat${i}-${s}@example.com`);
      expect(tenant).toMatchObject({ slug: s, status: TenantStatus.PENDING });
    }
    for (const [i, s] of slugs.entries()) {
      await expectCode(
        h.auth.registerCompany({
          companyName: "Latecomer",
          companySlug: s,
          user: { email: `late-${s}@example.com`, password: PASSWORD },
        }),
        Code.AlreadyExists,
        /company_slug/,
      );
      expect(await statusOf(s)).toBe(TenantStatus.PENDING);
      // The right password of the unverified admin says what stands in the way; a wrong one says nothing.
      expect(await reasonOf(login(`squat${i}-${s}@example.com`, s), Code.FailedPrecondition)).toBe(
        "EMAIL_NOT_VERIFIED",
      );
      await expectCode(
        h.auth.login({ identifier: `squat${i}-${s}@example.com`, password: "not the password", tenant: s }),
        Code.Unauthenticated,
      );
      // Nobody registers in a pending tenant, by password or through a provider.
      await expectCode(
        h.auth.register({ email: `joiner-${s}@example.com`, password: PASSWORD, tenant: s }),
        Code.InvalidArgument,
        /^tenant: .*not active/,
      );
      const idToken = await issuer.mint(h.server.clock.now(), {
        claims: { sub: `joiner-${s}`, email: `joiner-${s}@example.com`, email_verified: true },
      });
      await expectCode(
        h.auth.loginWithProvider({ provider: "test", idToken, tenant: s }),
        Code.FailedPrecondition,
        /not active/,
      );
    }
    const listed = new Map<string, TenantStatus>();
    let pageToken = "";
    do {
      const page = await (await operator()).listTenants({ pageSize: 100, pageToken });
      for (const t of page.tenants) listed.set(t.slug, t.status);
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    for (const s of slugs) expect(listed.get(s), s).toBe(TenantStatus.PENDING);
  });

  it("an unverified company is released after AUTHD_PENDING_TENANT_TTL, with its account, and its slug can be registered again", async () => {
    const s = slug();
    const first = await registerCompany(s, `first-${s}@example.com`);
    h.server.clock.advanceSeconds(PENDING_TTL_SECONDS - 60);
    await release();
    expect(await statusOf(s)).toBe(TenantStatus.PENDING);

    h.server.clock.advanceSeconds(120);
    await release();
    await expectCode((await operator()).getTenant({ tenant: { case: "slug", value: s } }), Code.NotFound);
    const gone = await h.server.internals.unitOfWork(["tenants", "accounts"]).read(async (tx) => ({
      tenant: await tx.tenants.findById(first.tenant.id),
      account: await tx.accounts.findByEmail(first.tenant.id, `first-${s}@example.com`),
    }));
    expect(gone).toEqual({ tenant: null, account: null });

    const second = await registerCompany(s, `second-${s}@example.com`);
    expect(second.tenant.id).not.toBe(first.tenant.id);
    expect(second.tenant.status).toBe(TenantStatus.PENDING);
    await expectCode(login(`first-${s}@example.com`, s), Code.Unauthenticated);
    await h.auth.verifyEmail({ token: second.token });
    expect(await statusOf(s)).toBe(TenantStatus.ACTIVE);
    expect((await login(`second-${s}@example.com`, s)).result.case).toBe("tokens");
  });

  it("a verification racing the release either activates the tenant, which is kept, or finds its link spent and the tenant gone; never both, never an error", async () => {
    for (let round = 0; round < 6; round++) {
      const s = slug();
      const email = `race-${s}@example.com`;
      await registerCompany(s, email);
      // A fresh link late in the pending time, still valid once the time is up.
      h.server.clock.advanceSeconds(PENDING_TTL_SECONDS - 3600);
      const since = h.smtp.messages.length;
      await h.auth.resendVerificationEmail({ email, tenant: s });
      const token = tokenFrom(await mailAfter(since, email, /verify/i));
      h.server.clock.advanceSeconds(7200);

      const [verified, released] = await Promise.allSettled([h.auth.verifyEmail({ token }), release()]);
      expect(released.status, String((released as PromiseRejectedResult).reason)).toBe("fulfilled");
      if (verified.status === "fulfilled") {
        expect(await statusOf(s)).toBe(TenantStatus.ACTIVE);
        expect((await login(email, s)).result.case).toBe("tokens");
      } else {
        expect(await reasonOf(Promise.reject(verified.reason), Code.InvalidArgument)).toBe("TOKEN_INVALID");
        await expectCode((await operator()).getTenant({ tenant: { case: "slug", value: s } }), Code.NotFound);
      }
    }
  });

  it("following the verification link activates the tenant; the purge leaves an active tenant alone", async () => {
    const s = slug();
    const { token } = await registerCompany(s, `boss-${s}@example.com`);
    await h.auth.verifyEmail({ token });
    expect(await statusOf(s)).toBe(TenantStatus.ACTIVE);
    h.server.clock.advanceSeconds(PENDING_TTL_SECONDS + 60);
    await release();
    expect(await statusOf(s)).toBe(TenantStatus.ACTIVE);
    expect((await login(`boss-${s}@example.com`, s)).result.case).toBe("tokens");
  });

  it("a pending company's admin can have the link sent again, and a password reset link activates the tenant too", async () => {
    const resent = slug();
    await registerCompany(resent, `again-${resent}@example.com`);
    expect(await statusOf(resent)).toBe(TenantStatus.PENDING);
    let since = h.smtp.messages.length;
    await h.auth.resendVerificationEmail({ email: `again-${resent}@example.com`, tenant: resent });
    await h.auth.verifyEmail({
      token: tokenFrom(await mailAfter(since, `again-${resent}@example.com`, /verify/i)),
    });
    expect(await statusOf(resent)).toBe(TenantStatus.ACTIVE);

    const reset = slug();
    await registerCompany(reset, `reset-${reset}@example.com`);
    expect(await statusOf(reset)).toBe(TenantStatus.PENDING);
    since = h.smtp.messages.length;
    await h.auth.requestPasswordReset({ email: `reset-${reset}@example.com`, tenant: reset });
    const mail = await mailAfter(since, `reset-${reset}@example.com`, /reset/i);
    await h.auth.resetPassword({ token: tokenFrom(mail), newPassword: PASSWORD });
    expect(await statusOf(reset)).toBe(TenantStatus.ACTIVE);
    expect((await login(`reset-${reset}@example.com`, reset)).result.case).toBe("tokens");
  });

  it("an operator's CreateTenant is active at once; UpdateTenant cannot make a tenant pending but may activate a pending one", async () => {
    const made = slug();
    const { tenant } = await (await operator()).createTenant({ slug: made, name: "Made" });
    expect(tenant?.status).toBe(TenantStatus.ACTIVE);
    await expectCode(
      (await operator()).updateTenant({ tenantId: tenant?.id ?? "", status: TenantStatus.PENDING }),
      Code.InvalidArgument,
      /^status:/,
    );

    const vouched = slug();
    const registered = await registerCompany(vouched, `vouched-${vouched}@example.com`);
    const updated = await (await operator()).updateTenant({
      tenantId: registered.tenant.id,
      status: TenantStatus.ACTIVE,
    });
    expect(updated.tenant?.status).toBe(TenantStatus.ACTIVE);
    h.server.clock.advanceSeconds(PENDING_TTL_SECONDS + 60);
    await release();
    expect(await statusOf(vouched)).toBe(TenantStatus.ACTIVE);
  });
});

describe("a pending company where sign-in needs no verified email (SQLite)", () => {
  let h: AccountsHarness;

  beforeAll(async () => {
    h = await startAccountsHarness({ AUTHD_REQUIRE_EMAIL_VERIFICATION: "false" });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("its unverified first admin still cannot sign in until the link is followed", async () => {
    await h.auth.registerCompany({
      companyName: "Eager",
      companySlug: "eager-co",
      user: { email: "eager@example.com", password: PASSWORD },
    });
    const login = () =>
      h.auth.login({ identifier: "eager@example.com", password: PASSWORD, tenant: "eager-co" });
    expect(await reasonOf(login(), Code.FailedPrecondition)).toBe("EMAIL_NOT_VERIFIED");
    await h.auth.verifyEmail({ token: tokenFrom(await h.mailTo("eager@example.com", /verify/i)) });
    expect((await login()).result.case).toBe("tokens");
  });
});
