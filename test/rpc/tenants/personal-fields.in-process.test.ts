// An administrator's API key reads a tenant's users under the same rule as GetCurrentUser: the
// personal fields (birth date, gender, marital status, nationality, residency, ID number, postal
// address) only with `profile:personal` beside `admin`; without it they answer as unset. A
// signed-in administrator sees everything.
import type { Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../../gen/authd/v1/admin_pb.js";
import type { User } from "../../../gen/authd/v1/common_pb.js";
import { SessionService } from "../../../gen/authd/v1/session_pb.js";
import { type AccountsHarness, startAccountsHarness } from "../../helpers/accounts.js";
import { type InProcessServer, startInProcess } from "../../helpers/in-process.js";
import { bearer, createUser, PASSWORD, type TestUser } from "../../helpers/sessions.js";

const PERSONAL = {
  birthDate: "1985-02-28",
  gender: "non-binary",
  maritalStatus: "married",
  nationality: "FR",
  residency: "GB",
  idNumber: "AB-123 456/7",
};
const ADDRESS = {
  lines: ["10 Downing Street"],
  locality: "London",
  region: "",
  postalCode: "SW1A 2AA",
  country: "GB",
};

/** The personal fields of `user` as answered, and the two non-personal ones beside them. */
function fieldsOf(user: User | undefined) {
  if (!user) throw new Error("no user in the answer");
  return {
    birthDate: user.birthDate,
    gender: user.gender,
    maritalStatus: user.maritalStatus,
    nationality: user.nationality,
    residency: user.residency,
    idNumber: user.idNumber,
    postalAddress: user.postalAddress
      ? {
          lines: user.postalAddress.lines,
          locality: user.postalAddress.locality,
          region: user.postalAddress.region,
          postalCode: user.postalAddress.postalCode,
          country: user.postalAddress.country,
        }
      : undefined,
    department: user.department,
    jobTitle: user.jobTitle,
  };
}

const EVERYTHING = { ...PERSONAL, postalAddress: ADDRESS, department: "Research", jobTitle: "Engineer" };
const NOTHING_PERSONAL = {
  birthDate: "",
  gender: "",
  maritalStatus: "",
  nationality: "",
  residency: "",
  idNumber: "",
  postalAddress: undefined,
  department: "Research",
  jobTitle: "Engineer",
};

describe("personal fields through AdminService", () => {
  let h: AccountsHarness<InProcessServer>;
  let member: TestUser;
  let adminToken = "";
  const client = { ip: "127.0.0.1", rateLimitKey: "127.0.0.1", userAgent: "vitest" };

  async function signIn(user: TestUser): Promise<string> {
    const res = await h.auth.login({ identifier: user.email, password: PASSWORD, tenant: "acme" });
    if (res.result.case !== "tokens") throw new Error(`expected tokens, got ${res.result.case}`);
    return res.result.value.accessToken;
  }
  async function keyWith(scopes: string[]): Promise<Client<typeof AdminService>> {
    const { secret } = await h.server
      .client(SessionService, "connect", bearer(adminToken))
      .createApiKey({ name: scopes.join(" "), scopes, currentPassword: PASSWORD });
    return h.server.client(AdminService, "connect", bearer(secret));
  }
  const listed = async (c: Client<typeof AdminService>) =>
    (await c.listUsers({ pageSize: 100 })).users.find((u) => u.id === member.id);

  beforeAll(async () => {
    h = await startAccountsHarness({}, startInProcess);
    const acme = await h.server.app.tenants.create({ slug: "acme", name: "Acme" }, null, client);
    const boss = await createUser(h.server, { tenantId: acme.id, roles: ["admin"] });
    member = await createUser(h.server, { tenantId: acme.id, roles: ["member"] });
    adminToken = await signIn(boss);
    await h.authed(await signIn(member)).updateCurrentUser({
      ...PERSONAL,
      postalAddress: ADDRESS,
      department: "Research",
      jobTitle: "Engineer",
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("an admin key without profile:personal reads them as unset in GetUser and ListUsers", async () => {
    const key = await keyWith(["admin"]);
    expect(fieldsOf((await key.getUser({ userId: member.id })).user)).toEqual(NOTHING_PERSONAL);
    expect(fieldsOf(await listed(key))).toEqual(NOTHING_PERSONAL);
  });

  it("an admin key with profile:personal, and a signed-in admin, read them all", async () => {
    const key = await keyWith(["admin", "profile:personal"]);
    expect(fieldsOf((await key.getUser({ userId: member.id })).user)).toEqual(EVERYTHING);
    expect(fieldsOf(await listed(key))).toEqual(EVERYTHING);
    const session = h.server.client(AdminService, "connect", bearer(adminToken));
    expect(fieldsOf((await session.getUser({ userId: member.id })).user)).toEqual(EVERYTHING);
    expect(fieldsOf(await listed(session))).toEqual(EVERYTHING);
  });
});
