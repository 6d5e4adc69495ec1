// Accounts belong to a tenant, through a real server on SQLite and PostgreSQL: one email is one
// account per tenant, each with its own password, verification, reset, lockout and email limits;
// every public RPC that names an account looks only in the tenant it names; RegisterCompany makes a
// tenant and its administrator, who signs in to it after following the emailed link.
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, expect, it } from "vitest";
import { AdminService } from "../../../gen/authd/v1/admin_pb.js";
import { ErrorInfoSchema, ErrorReason, TenantStatus } from "../../../gen/authd/v1/common_pb.js";
import { SessionService } from "../../../gen/authd/v1/session_pb.js";
import { DEFAULT_TENANT_ID } from "../../../src/domain/tenants/records.js";
import { type AccountsHarness, expectCode, startAccountsHarness, tokenFrom } from "../../helpers/accounts.js";
import { forEachDatabase } from "../../helpers/databases.js";
import { bearer, createUser, signIn } from "../../helpers/sessions.js";
import type { ReceivedMail } from "../../helpers/smtp.js";

const PASSWORD_A = "correct horse battery staple";
const PASSWORD_B = "purple monkey dishwasher lamp";
const MAX_FAILURES = 3;
const EMAILS_PER_ADDRESS = 4;

forEachDatabase("accounts scoped by tenant", (database) => {
  let h: AccountsHarness;
  let operatorToken: string;
  let slugCount = 0;

  beforeAll(async () => {
    const env: Record<string, string> = {
      AUTHD_LOGIN_MAX_FAILURES: String(MAX_FAILURES),
      AUTHD_LOGIN_MAX_FAILURES_PER_IP: "1000",
      AUTHD_REGISTRATIONS_PER_IP: "1000",
      AUTHD_EMAILS_PER_IP: "1000",
      AUTHD_EMAILS_PER_ADDRESS: String(EMAILS_PER_ADDRESS),
      AUTHD_REVEAL_ACCOUNTS: "true",
      ...(await database.env()),
    };
    h = await startAccountsHarness(env);
    const operator = await createUser(h.server, {
      tenantId: DEFAULT_TENANT_ID,
      roles: ["admin", "operator"],
    });
    operatorToken = (await signIn(h.server, operator.id)).accessToken;
  });
  afterAll(async () => {
    await h.close();
  });

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

  /** Nothing more is mailed to `to` after `since`, once the queued work is done. */
  async function noMailAfter(since: number, to: string): Promise<void> {
    await h.server.afterReply.settled();
    await h.server.mail.flush();
    expect(h.smtp.messages.slice(since).filter((m) => m.to.includes(to))).toEqual([]);
  }

  async function registerIn(tenant: string, email: string, password: string): Promise<string> {
    const since = h.smtp.messages.length;
    await h.auth.register({ email, password, tenant });
    return tokenFrom(await mailAfter(since, email, /verify/i));
  }

  async function signUpIn(tenant: string, email: string, password: string): Promise<void> {
    await h.auth.verifyEmail({ token: await registerIn(tenant, email, password) });
  }

  async function loginIn(tenant: string, identifier: string, password: string) {
    const res = await h.auth.login({ identifier, password, tenant });
    if (res.result.case !== "tokens") throw new Error(`expected tokens, got ${res.result.case}`);
    return res.result.value;
  }

  async function userOf(accessToken: string) {
    return (await h.authed(accessToken).getCurrentUser({})).user;
  }

  /** A new company with a verified administrator; answers its slug and id. */
  async function newCompany(adminEmail: string): Promise<{ slug: string; id: string }> {
    const slug = `company-${database.kind}-${++slugCount}`;
    const since = h.smtp.messages.length;
    const { tenant } = await h.auth.registerCompany({
      companyName: `Company ${slugCount}`,
      companySlug: slug,
      user: { email: adminEmail, password: PASSWORD_B, firstName: "Ada" },
    });
    await h.auth.verifyEmail({ token: tokenFrom(await mailAfter(since, adminEmail, /verify/i)) });
    return { slug, id: tenant?.id ?? "" };
  }

  it("RegisterCompany makes the tenant and its admin, who follows the emailed link and signs in to that tenant only", async () => {
    const slug = `acme-${database.kind}`;
    const since = h.smtp.messages.length;
    const { tenant } = await h.auth.registerCompany({
      companyName: " Acme Inc ",
      companySlug: slug,
      user: { email: "Boss@Acme.example", password: PASSWORD_B, firstName: "Ada", lastName: "Boss" },
    });
    // Pending until the first admin verifies (pending.test.ts).
    expect(tenant).toMatchObject({ slug, name: "Acme Inc", status: TenantStatus.PENDING });
    // Not verified yet: the right password says so, and only in that tenant.
    await expectCode(
      h.auth.login({ identifier: "boss@acme.example", password: PASSWORD_B, tenant: slug }),
      Code.FailedPrecondition,
    );
    const mail = await mailAfter(since, "boss@acme.example", /verify/i);
    await h.auth.verifyEmail({ token: tokenFrom(mail) });

    const tokens = await loginIn(slug, "boss@acme.example", PASSWORD_B);
    const user = await userOf(tokens.accessToken);
    expect(user).toMatchObject({ email: "boss@acme.example", firstName: "Ada", tenantId: tenant?.id });
    expect(user?.roles).toEqual(["admin"]);
    const validated = await h.server.client(SessionService).validateToken({ token: tokens.accessToken });
    expect(validated).toMatchObject({ active: true, tenantId: tenant?.id, roles: ["admin"] });
    // The new tenant's admin administers it (AdminService answers for the caller's tenant).
    const sessions = await h.server
      .client(AdminService, "connect", bearer(tokens.accessToken))
      .listUserSessions({ userId: user?.id ?? "" });
    expect(sessions.sessions).toHaveLength(1);
    // The default tenant has no such account.
    await expectCode(
      h.auth.login({ identifier: "boss@acme.example", password: PASSWORD_B }),
      Code.Unauthenticated,
    );
  });

  it("RegisterCompany answers already_exists for a taken slug and invalid_argument naming the field at fault", async () => {
    const slug = `taken-${database.kind}`;
    await h.auth.registerCompany({
      companyName: "First",
      companySlug: slug,
      user: { email: "first@taken.example", password: PASSWORD_B },
    });
    await expectCode(
      h.auth.registerCompany({
        companyName: "Second",
        companySlug: slug,
        user: { email: "second@taken.example", password: PASSWORD_B },
      }),
      Code.AlreadyExists,
      /company_slug/,
    );
    await expectCode(
      h.auth.registerCompany({
        companyName: "Bad",
        companySlug: "Bad Slug",
        user: { email: "bad@taken.example", password: PASSWORD_B },
      }),
      Code.InvalidArgument,
      /^company_slug:/,
    );
    await expectCode(
      h.auth.registerCompany({
        companyName: "Reserved",
        companySlug: "default",
        user: { email: "bad@taken.example", password: PASSWORD_B },
      }),
      Code.InvalidArgument,
      /^company_slug:/,
    );
    await expectCode(
      h.auth.registerCompany({
        companyName: "",
        companySlug: `empty-name-${database.kind}`,
        user: { email: "bad@taken.example", password: PASSWORD_B },
      }),
      Code.InvalidArgument,
      /^company_name:/,
    );
    await expectCode(
      h.auth.registerCompany({
        companyName: "Short",
        companySlug: `short-${database.kind}`,
        user: { email: "bad@taken.example", password: "short" },
      }),
      Code.InvalidArgument,
      /^user\.password:/,
    );
    // A refused request made nothing: the slug is still free.
    await h.auth.registerCompany({
      companyName: "Short",
      companySlug: `short-${database.kind}`,
      user: { email: "bad@taken.example", password: PASSWORD_B },
    });
  });

  it("one email is two accounts in two tenants: each signs in only with its own tenant and password", async () => {
    const acme = await newCompany(`admin-two@${database.kind}.example`);
    const email = "same@two.example";
    await signUpIn("", email, PASSWORD_A);
    await signUpIn(acme.slug, email, PASSWORD_B);

    const inDefault = await loginIn("", email, PASSWORD_A);
    const inAcme = await loginIn(acme.slug, email, PASSWORD_B);
    const defaultUser = await userOf(inDefault.accessToken);
    const acmeUser = await userOf(inAcme.accessToken);
    expect(defaultUser?.tenantId).toBe(DEFAULT_TENANT_ID);
    expect(acmeUser?.tenantId).toBe(acme.id);
    expect(acmeUser?.id).not.toBe(defaultUser?.id);
    // Slugs are read without regard to case or surrounding spaces.
    expect(
      (await userOf((await loginIn(` ${acme.slug.toUpperCase()} `, email, PASSWORD_B)).accessToken))?.id,
    ).toBe(acmeUser?.id);
    // "default" names the default tenant as the empty slug does.
    expect((await userOf((await loginIn("default", email, PASSWORD_A)).accessToken))?.id).toBe(
      defaultUser?.id,
    );

    // Each password opens its own tenant's account only.
    await expectCode(h.auth.login({ identifier: email, password: PASSWORD_B }), Code.Unauthenticated);
    await expectCode(
      h.auth.login({ identifier: email, password: PASSWORD_A, tenant: acme.slug }),
      Code.Unauthenticated,
    );
    // CheckEmail looks in the tenant named.
    expect((await h.auth.checkEmail({ email, tenant: acme.slug })).exists).toBe(true);
    expect((await h.auth.checkEmail({ email: `admin-two@${database.kind}.example` })).exists).toBe(false);
  });

  it("a password reset in one tenant resets that tenant's account and never touches the other", async () => {
    const acme = await newCompany(`admin-reset@${database.kind}.example`);
    const email = "reset@two.example";
    await signUpIn("", email, PASSWORD_A);
    await signUpIn(acme.slug, email, PASSWORD_B);
    const defaultSession = await loginIn("", email, PASSWORD_A);

    const since = h.smtp.messages.length;
    await h.auth.requestPasswordReset({ email, tenant: acme.slug });
    const resetMail = await mailAfter(since, email, /reset your password/i);
    // One link, for one account.
    expect(h.smtp.messages.slice(since).filter((m) => /reset your password/i.test(m.subject))).toHaveLength(
      1,
    );
    const newPassword = "a brand new acme password";
    await h.auth.resetPassword({ token: tokenFrom(resetMail), newPassword });

    await loginIn(acme.slug, email, newPassword);
    await expectCode(
      h.auth.login({ identifier: email, password: PASSWORD_B, tenant: acme.slug }),
      Code.Unauthenticated,
    );
    // The default tenant's account keeps its password and its session.
    await loginIn("", email, PASSWORD_A);
    await expectCode(h.auth.login({ identifier: email, password: newPassword }), Code.Unauthenticated);
    const validated = await h.server
      .client(SessionService)
      .validateToken({ token: defaultSession.accessToken });
    expect(validated.active).toBe(true);
  });

  it("a resent verification link verifies the account of the tenant named only", async () => {
    const acme = await newCompany(`admin-resend@${database.kind}.example`);
    const email = "resend@two.example";
    await registerIn("", email, PASSWORD_A);
    await registerIn(acme.slug, email, PASSWORD_B);

    const since = h.smtp.messages.length;
    await h.auth.resendVerificationEmail({ email, tenant: acme.slug });
    const mail = await mailAfter(since, email, /verify/i);
    await h.auth.verifyEmail({ token: tokenFrom(mail) });

    await loginIn(acme.slug, email, PASSWORD_B);
    // The default tenant's account is still unverified.
    const refused = await expectCode(
      h.auth.login({ identifier: email, password: PASSWORD_A }),
      Code.FailedPrecondition,
    );
    expect(refused.findDetails(ErrorInfoSchema)[0]?.reason).toBe(ErrorReason.EMAIL_NOT_VERIFIED);
  });

  it("an unknown tenant: Register and CheckEmail say so naming tenant; Login answers like a wrong password; resend and reset answer like an unknown account and mail nothing", async () => {
    const email = "nobody@unknown.example";
    await signUpIn("", email, PASSWORD_A);
    const wrongPassword = await expectCode(
      h.auth.login({ identifier: email, password: "not the password at all" }),
      Code.Unauthenticated,
    );
    for (const tenant of ["no-such-company", "Not A Slug", "x".repeat(500)]) {
      await expectCode(
        h.auth.register({ email, password: PASSWORD_A, tenant }),
        Code.InvalidArgument,
        /^tenant:/,
      );
      await expectCode(h.auth.checkEmail({ email, tenant }), Code.InvalidArgument, /^tenant:/);
      const unknownTenant = await expectCode(
        h.auth.login({ identifier: email, password: PASSWORD_A, tenant }),
        Code.Unauthenticated,
      );
      expect(unknownTenant.rawMessage).toBe(wrongPassword.rawMessage);
      expect(unknownTenant.findDetails(ErrorInfoSchema)[0]?.reason).toBe(
        wrongPassword.findDetails(ErrorInfoSchema)[0]?.reason,
      );
      const since = h.smtp.messages.length;
      await h.auth.resendVerificationEmail({ email, tenant });
      await h.auth.requestPasswordReset({ email, tenant });
      await noMailAfter(since, email);
    }
    // The failed sign-ins above were against another tenant: the account is not locked.
    await loginIn("", email, PASSWORD_A);
  });

  it("lockout is per tenant account: locking one tenant's account leaves the other's open", async () => {
    const acme = await newCompany(`admin-lock@${database.kind}.example`);
    const email = "lock@two.example";
    await signUpIn("", email, PASSWORD_A);
    await signUpIn(acme.slug, email, PASSWORD_B);
    for (let i = 0; i < MAX_FAILURES; i++) {
      await expectCode(
        h.auth.login({ identifier: email, password: "wrong wrong wrong", tenant: acme.slug }),
        Code.Unauthenticated,
      );
    }
    // Locked: the right password answers like a wrong one.
    await expectCode(
      h.auth.login({ identifier: email, password: PASSWORD_B, tenant: acme.slug }),
      Code.Unauthenticated,
    );
    await loginIn("", email, PASSWORD_A);
    // The lock notice went to the mailbox once, for the locked account.
    await h.server.mail.flush();
    expect(h.smtp.messages.filter((m) => m.to.includes(email) && /locked/i.test(m.subject))).toHaveLength(1);
  });

  it("the per-address email limit is per tenant account", async () => {
    const acme = await newCompany(`admin-limit@${database.kind}.example`);
    const email = "limit@two.example";
    await signUpIn("", email, PASSWORD_A);
    await signUpIn(acme.slug, email, PASSWORD_B);
    // Registration counted one; the rest of the allowance goes on resets in acme.
    for (let i = 1; i < EMAILS_PER_ADDRESS; i++)
      await h.auth.requestPasswordReset({ email, tenant: acme.slug });
    await expectCode(h.auth.requestPasswordReset({ email, tenant: acme.slug }), Code.ResourceExhausted);
    // The default tenant's account still gets its reset link.
    const since = h.smtp.messages.length;
    await h.auth.requestPasswordReset({ email });
    await mailAfter(since, email, /reset your password/i);
  });

  it("a suspended tenant's sign-in is refused before it is counted: no lockout builds up, and the right password works once it is back", async () => {
    const acme = await newCompany(`admin-suspend@${database.kind}.example`);
    const email = "suspend@two.example";
    await signUpIn(acme.slug, email, PASSWORD_B);
    const admin = h.server.client(AdminService, "connect", bearer(operatorToken));
    await admin.updateTenant({ tenantId: acme.id, status: TenantStatus.SUSPENDED });

    for (const password of [PASSWORD_B, ...Array(MAX_FAILURES + 1).fill("wrong wrong wrong")]) {
      const refused = await expectCode(
        h.auth.login({ identifier: email, password, tenant: acme.slug }),
        Code.FailedPrecondition,
      );
      expect(refused.findDetails(ErrorInfoSchema)[0]?.reason).toBe(ErrorReason.TENANT_SUSPENDED);
    }
    // Resend and reset answer as for an unknown account, and mail nothing.
    const since = h.smtp.messages.length;
    await h.auth.requestPasswordReset({ email, tenant: acme.slug });
    await noMailAfter(since, email);
    // Register names the tenant as suspended.
    await expectCode(
      h.auth.register({ email: "new@two.example", password: PASSWORD_A, tenant: acme.slug }),
      Code.InvalidArgument,
      /^tenant:/,
    );

    await admin.updateTenant({ tenantId: acme.id, status: TenantStatus.ACTIVE });
    // Nothing was counted while suspended, so the account is not locked.
    await loginIn(acme.slug, email, PASSWORD_B);
  });
});
