import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthService } from "../../../gen/authd/v1/auth_pb.js";
import { UserStatus } from "../../../gen/authd/v1/common_pb.js";
import { MfaService } from "../../../gen/authd/v1/mfa_pb.js";
import { SessionService } from "../../../gen/authd/v1/session_pb.js";
import { AuditEventEntity } from "../../../src/store/entities/audit-event.js";
import { UserEntity } from "../../../src/store/entities/user.js";
import {
  type AccountsHarness,
  expectCode,
  PASSWORD,
  startAccountsHarness,
  tokenFrom,
} from "../../helpers/accounts.js";
import { type InProcessServer, startInProcess } from "../../helpers/in-process.js";

let h: AccountsHarness<InProcessServer>;

beforeAll(async () => {
  h = await startAccountsHarness({}, startInProcess);
});
afterAll(() => h.close());

describe("GetCurrentUser / UpdateCurrentUser", () => {
  it("answers the caller's profile and never a credential", async () => {
    await h.auth.register({
      email: "me@example.com",
      password: PASSWORD,
      firstName: "Ada",
      lastName: "Lovelace",
      language: "en-GB",
    });
    await h.auth.verifyEmail({ token: tokenFrom(await h.mailTo("me@example.com", /verify/i)) });
    const { accessToken } = await h.login("me@example.com");
    const { user } = await h.authed(accessToken).getCurrentUser({});
    expect(user).toMatchObject({
      email: "me@example.com",
      emailVerified: true,
      firstName: "Ada",
      lastName: "Lovelace",
      language: "en-GB",
      status: UserStatus.ACTIVE,
    });
    expect(JSON.stringify(user, (_k, v) => (typeof v === "bigint" ? String(v) : v))).not.toMatch(/argon2/);
  });

  it("needs a caller", async () => {
    await expectCode(h.auth.getCurrentUser({}), Code.Unauthenticated);
  });

  it("changes only the fields that are set, and keeps settings", async () => {
    await h.signUp("profile@example.com");
    const api = h.authed((await h.login("profile@example.com")).accessToken);
    await api.updateCurrentUser({
      firstName: "Grace",
      timezone: "Europe/Paris",
      settings: { theme: "dark", lang: "fr" },
    });
    const { user } = await api.updateCurrentUser({
      lastName: "Hopper",
      removeSettings: ["lang"],
      settings: { beta: "1" },
    });
    expect(user).toMatchObject({ firstName: "Grace", lastName: "Hopper", timezone: "Europe/Paris" });
    expect(user?.settings).toEqual({ theme: "dark", beta: "1" });
  });

  it("refuses bad fields by name and changes nothing", async () => {
    await h.signUp("badfields@example.com");
    const api = h.authed((await h.login("badfields@example.com")).accessToken);
    await expectCode(
      api.updateCurrentUser({ firstName: "Ok", timezone: "Nowhere/Never" }),
      Code.InvalidArgument,
      /timezone/,
    );
    await expectCode(
      api.updateCurrentUser({ settings: { "bad key!": "x" } }),
      Code.InvalidArgument,
      /settings/,
    );
    expect((await api.getCurrentUser({})).user?.firstName).toBe("");
  });

  it("marks a changed mobile number unverified", async () => {
    await h.signUp("mobile@example.com");
    const api = h.authed((await h.login("mobile@example.com")).accessToken);
    await h.server.db.transaction((em) =>
      em.update(
        UserEntity,
        { email: "mobile@example.com" },
        { mobile: "+61491570156", mobileVerified: true },
      ),
    );
    await expectCode(
      api.updateCurrentUser({ mobile: "+61491570157" }),
      Code.InvalidArgument,
      /current_password/,
    );
    const { user } = await api.updateCurrentUser({ mobile: "+61491570157", currentPassword: PASSWORD });
    expect(user).toMatchObject({ mobile: "+61491570157", mobileVerified: false });
  });
});

describe("changing the username (a sign-in identifier)", () => {
  it("needs the current password and a signed-in session: a stolen token or key cannot rename the account", async () => {
    await h.signUp("renamed@example.com", PASSWORD, "before-name");
    const { accessToken } = await h.login("renamed@example.com");
    const me = h.authed(accessToken);
    await expectCode(
      me.updateCurrentUser({ username: "after-name" }),
      Code.InvalidArgument,
      /current_password: is required to change the username/,
    );
    await expectCode(
      me.updateCurrentUser({ username: "after-name", currentPassword: "not the password at all" }),
      Code.Unauthenticated,
      /current_password/,
    );
    const sessions = h.server.client(SessionService, "connect", { authorization: `Bearer ${accessToken}` });
    const { secret } = await sessions.createApiKey({
      name: "writer",
      scopes: ["profile:write"],
      currentPassword: PASSWORD,
    });
    const keyed = h.server.client(AuthService, "connect", { "x-api-key": secret });
    await expectCode(
      keyed.updateCurrentUser({ username: "after-name", currentPassword: PASSWORD }),
      Code.PermissionDenied,
    );
    expect((await me.getCurrentUser({})).user?.username).toBe("before-name");

    const { user } = await me.updateCurrentUser({ username: "after-name", currentPassword: PASSWORD });
    expect(user?.username).toBe("after-name");
    // Other profile fields still change without the password.
    expect((await me.updateCurrentUser({ firstName: "Renamed" })).user?.firstName).toBe("Renamed");
  });
});

describe("API keys on the profile", () => {
  it("read and change profile fields only with the matching scope, and never the email", async () => {
    await h.signUp("keyed@example.com");
    const { accessToken } = await h.login("keyed@example.com");
    const sessions = h.server.client(SessionService, "connect", { authorization: `Bearer ${accessToken}` });
    const make = async (scopes: string[]) =>
      (await sessions.createApiKey({ name: scopes.join(" "), scopes, currentPassword: PASSWORD })).secret;
    const reader = h.server.client(AuthService, "connect", { "x-api-key": await make(["profile:read"]) });
    const writer = h.server.client(AuthService, "connect", { "x-api-key": await make(["profile:write"]) });
    expect((await reader.getCurrentUser({})).user?.email).toBe("keyed@example.com");
    await expectCode(reader.updateCurrentUser({ firstName: "Nope" }), Code.PermissionDenied, /profile:write/);
    await writer.updateCurrentUser({ firstName: "Scripted" });
    await expectCode(
      writer.updateCurrentUser({ email: "else@example.com", currentPassword: PASSWORD }),
      Code.PermissionDenied,
    );
    expect((await reader.getCurrentUser({})).user?.firstName).toBe("Scripted");
    // Second factors are managed only from a signed-in session, whatever a key's scopes.
    const everything = await make(["profile:read", "profile:write", "sessions:read", "sessions:write"]);
    const mfaWithKey = h.server.client(MfaService, "connect", { "x-api-key": everything });
    await expectCode(mfaWithKey.listAuthenticators({}), Code.PermissionDenied);
    await expectCode(mfaWithKey.listTrustedDevices({}), Code.PermissionDenied);
  });

  it("read and change the personal fields (ID number, birth date, address, ...) only with profile:personal too", async () => {
    await h.signUp("personal@example.com");
    const { accessToken } = await h.login("personal@example.com");
    const me = h.authed(accessToken);
    const personal = {
      birthDate: "1990-05-17",
      gender: "female",
      maritalStatus: "single",
      nationality: "DE",
      residency: "NL",
      idNumber: "X1234567",
      postalAddress: {
        lines: ["Keizersgracht 1"],
        locality: "Amsterdam",
        postalCode: "1015 CJ",
        country: "NL",
      },
    };
    await me.updateCurrentUser({ ...personal, jobTitle: "Engineer" });
    const sessions = h.server.client(SessionService, "connect", { authorization: `Bearer ${accessToken}` });
    const keyed = async (scopes: string[]) =>
      h.server.client(AuthService, "connect", {
        "x-api-key": (
          await sessions.createApiKey({ name: scopes.join(" "), scopes, currentPassword: PASSWORD })
        ).secret,
      });

    // profile:read alone: the account without its personal fields (as if unset); the rest as stored.
    const plain = (await (await keyed(["profile:read"])).getCurrentUser({})).user;
    expect(plain).toMatchObject({
      email: "personal@example.com",
      jobTitle: "Engineer",
      birthDate: "",
      gender: "",
      maritalStatus: "",
      nationality: "",
      residency: "",
      idNumber: "",
    });
    expect(plain?.postalAddress).toBeUndefined();
    // With profile:personal as well, everything, as the owner's session sees it.
    const full = (await (await keyed(["profile:read", "profile:personal"])).getCurrentUser({})).user;
    const own = (await me.getCurrentUser({})).user;
    expect(full).toEqual(own);
    expect(full).toMatchObject({ idNumber: "X1234567", birthDate: "1990-05-17" });

    // profile:write alone cannot change a personal field, and its answer leaves them out too.
    const writer = await keyed(["profile:write"]);
    await expectCode(
      writer.updateCurrentUser({ idNumber: "Y7654321" }),
      Code.PermissionDenied,
      /profile:personal/,
    );
    const written = (await writer.updateCurrentUser({ jobTitle: "Lead" })).user;
    expect(written).toMatchObject({ jobTitle: "Lead", idNumber: "" });
    await (await keyed(["profile:write", "profile:personal"])).updateCurrentUser({ idNumber: "Y7654321" });
    expect((await me.getCurrentUser({})).user?.idNumber).toBe("Y7654321");
  });
});

describe("changing the email", () => {
  it("needs the current password", async () => {
    await h.signUp("mover@example.com");
    const api = h.authed((await h.login("mover@example.com")).accessToken);
    await expectCode(
      api.updateCurrentUser({ email: "moved@example.com" }),
      Code.InvalidArgument,
      /current_password/,
    );
    await expectCode(
      api.updateCurrentUser({ email: "moved@example.com", currentPassword: "wrong password" }),
      Code.Unauthenticated,
    );
  });

  it("keeps the old address until the new one is verified, then tells the old one", async () => {
    await h.signUp("old@example.com");
    const api = h.authed((await h.login("old@example.com")).accessToken);
    const { user } = await api.updateCurrentUser({ email: "new@example.com", currentPassword: PASSWORD });
    expect(user?.email).toBe("old@example.com");
    const token = tokenFrom(await h.mailTo("new@example.com", /confirm|verify/i));
    await h.auth.verifyEmail({ token });
    expect((await api.getCurrentUser({})).user?.email).toBe("new@example.com");
    const notice = await h.mailTo("old@example.com", /email/i);
    expect(notice.text).toContain("new@example.com");
    await h.login("new@example.com");
    await expectCode(h.auth.verifyEmail({ token }), Code.InvalidArgument, /token/);
  });
});

describe("deactivation", () => {
  it("needs the password, then a single-use emailed link; after it the account cannot sign in and its sessions end", async () => {
    await h.signUp("leaving@example.com");
    const session = await h.login("leaving@example.com");
    const api = h.authed(session.accessToken);
    await expectCode(api.requestDeactivation({ currentPassword: "wrong password" }), Code.Unauthenticated);
    await api.requestDeactivation({ currentPassword: PASSWORD });
    const token = tokenFrom(await h.mailTo("leaving@example.com", /deactivat/i));
    await h.auth.confirmDeactivation({ token });
    await expectCode(h.auth.confirmDeactivation({ token }), Code.InvalidArgument, /token/);
    await expectCode(
      h.server
        .client(SessionService, "connect", { authorization: `Bearer ${session.accessToken}` })
        .getSession({}),
      Code.Unauthenticated,
    );
    await expectCode(h.auth.refresh({ refreshToken: session.refreshToken }), Code.Unauthenticated);
    await expectCode(
      h.auth.login({ identifier: "leaving@example.com", password: PASSWORD }),
      Code.FailedPrecondition,
      /deactivated/,
    );
    await h.mailTo("leaving@example.com", /deactivated/i);
  });

  it("refuses an expired confirmation link", async () => {
    await h.signUp("slow@example.com");
    const api = h.authed((await h.login("slow@example.com")).accessToken);
    await api.requestDeactivation({ currentPassword: PASSWORD });
    const token = tokenFrom(await h.mailTo("slow@example.com", /deactivat/i));
    h.server.clock.advanceSeconds(3601);
    await expectCode(h.auth.confirmDeactivation({ token }), Code.InvalidArgument, /token/);
  });
});

describe("deletion", () => {
  it("erases the account and its personal data after a single-use emailed link, and ends every credential", async () => {
    await h.auth.register({
      email: "erase@example.com",
      password: PASSWORD,
      firstName: "Erase",
      mobile: "+61491570006",
    });
    await h.auth.verifyEmail({ token: tokenFrom(await h.mailTo("erase@example.com", /verify/i)) });
    const session = await h.login("erase@example.com");
    const api = h.authed(session.accessToken);
    const { user } = await api.getCurrentUser({});
    await api.requestDeletion({ currentPassword: PASSWORD });
    const token = tokenFrom(await h.mailTo("erase@example.com", /delet/i));
    await h.auth.confirmDeletion({ token });
    await expectCode(h.auth.confirmDeletion({ token }), Code.InvalidArgument, /token/);
    const row = await h.server.db.transaction((em) => em.findOneBy(UserEntity, { id: user!.id }));
    expect(row).toBeNull();
    const events = await h.server.db.transaction((em) => em.findBy(AuditEventEntity, { userId: user!.id }));
    expect(events.map((e) => e.type)).toContain("user.deleted");
    expect(events.every((e) => e.ip === "" && e.userAgent === "")).toBe(true);
    await expectCode(api.getCurrentUser({}), Code.Unauthenticated);
    await expectCode(h.auth.refresh({ refreshToken: session.refreshToken }), Code.Unauthenticated);
    await expectCode(
      h.auth.login({ identifier: "erase@example.com", password: PASSWORD }),
      Code.Unauthenticated,
    );
    await h.mailTo("erase@example.com", /deleted/i);
    // The address is free again.
    await h.signUp("erase@example.com");
  });
});
