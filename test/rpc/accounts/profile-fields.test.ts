// The optional profile fields (birth date, gender, ..., postal address, avatar), the last sign-in time
// and the accepted terms and privacy versions, through a real server on SQLite and on PostgreSQL:
// stored, shown by GetCurrentUser, changed only when set, refused by field name when invalid.
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UpdateCurrentUserRequest } from "../../../gen/authd/v1/auth_pb.js";
import { AuthService } from "../../../gen/authd/v1/auth_pb.js";
import type { User } from "../../../gen/authd/v1/common_pb.js";
import { SessionService } from "../../../gen/authd/v1/session_pb.js";
import { expectCode, PASSWORD, tokenFrom } from "../../helpers/accounts.js";
import { forEachDatabase } from "../../helpers/databases.js";
import { appCode, type MfaHarness, startMfaHarness } from "../../helpers/mfa.js";
import { type OidcIssuer, providerEnv, startOidcIssuer } from "../../helpers/oidc-issuer.js";

type ProfileUpdate = Partial<Omit<UpdateCurrentUserRequest, "$typeName" | "postalAddress">> & {
  postalAddress?: {
    lines?: string[];
    locality?: string;
    region?: string;
    postalCode?: string;
    country?: string;
  };
};

const FULL_PROFILE = {
  birthDate: "1985-02-28",
  gender: "non-binary",
  title: "Dr",
  maritalStatus: "married",
  nationality: "fr",
  residency: "GB",
  idNumber: "AB-123 456/7",
  department: "Research",
  jobTitle: "Principal engineer",
  postalAddress: {
    lines: ["Flat 2", "  10 Downing Street  ", ""],
    locality: "London",
    region: "Greater London",
    postalCode: "SW1A 2AA",
    country: "gb",
  },
  avatarUrl: "https://cdn.example.com/avatars/me.png",
  externalCustomerId: "CUST-000042",
} satisfies ProfileUpdate;

function profileOf(user: User | undefined) {
  if (!user) throw new Error("no user in the answer");
  return {
    birthDate: user.birthDate,
    gender: user.gender,
    title: user.title,
    maritalStatus: user.maritalStatus,
    nationality: user.nationality,
    residency: user.residency,
    idNumber: user.idNumber,
    department: user.department,
    jobTitle: user.jobTitle,
    postalAddress: user.postalAddress
      ? {
          lines: user.postalAddress.lines,
          locality: user.postalAddress.locality,
          region: user.postalAddress.region,
          postalCode: user.postalAddress.postalCode,
          country: user.postalAddress.country,
        }
      : undefined,
    avatarUrl: user.avatarUrl,
    externalCustomerId: user.externalCustomerId,
  };
}

/** Each bad value, the field it is set on, and the field the refusal must name. */
const BAD_VALUES: Array<[ProfileUpdate, RegExp]> = [
  [{ birthDate: "2001-02-29" }, /birth_date/],
  [{ birthDate: "1985-13-01" }, /birth_date/],
  [{ birthDate: "19850101" }, /birth_date/],
  [{ birthDate: "1899-12-31" }, /birth_date.*1900/],
  [{ birthDate: "2999-01-01" }, /birth_date.*future/],
  [{ nationality: "UK" }, /nationality/],
  [{ nationality: "XK" }, /nationality/],
  [{ nationality: "ZZ" }, /nationality/],
  [{ nationality: "FRA" }, /nationality/],
  [{ residency: "EU" }, /residency/],
  // Withdrawn from ISO 3166-1: the Netherlands Antilles (2010), Serbia and Montenegro (2006).
  [{ nationality: "AN" }, /nationality/],
  [{ residency: "CS" }, /residency/],
  [{ gender: "x".repeat(33) }, /gender/],
  [{ title: "Dr\u0007" }, /title/],
  [{ maritalStatus: "m".repeat(33) }, /marital_status/],
  [{ idNumber: "<script>" }, /id_number/],
  [{ idNumber: "1".repeat(65) }, /id_number/],
  [{ department: "d".repeat(201) }, /department/],
  [{ jobTitle: "a\u0000b" }, /job_title/],
  [{ avatarUrl: "http://cdn.example.com/me.png" }, /avatar_url/],
  [{ avatarUrl: "javascript:alert(1)" }, /avatar_url/],
  [{ avatarUrl: "https://user:pw@cdn.example.com/me.png" }, /avatar_url/],
  [{ avatarUrl: "//cdn.example.com/me.png" }, /avatar_url/],
  [{ avatarUrl: `https://cdn.example.com/${"a".repeat(2048)}` }, /avatar_url/],
  [{ externalCustomerId: "c".repeat(129) }, /external_customer_id/],
  [{ postalAddress: { lines: ["1 Main St"], locality: "Springfield" } }, /postal_address\.country/],
  [{ postalAddress: { lines: ["a", "b", "c", "d"], country: "US" } }, /postal_address\.lines/],
  [{ postalAddress: { postalCode: "12345<>", country: "US" } }, /postal_address\.postal_code/],
  [{ postalAddress: { locality: "Nowhere", country: "XX" } }, /postal_address\.country/],
];

forEachDatabase("profile fields", (database) => {
  describe("stored, checked and shown", () => {
    let h: MfaHarness;
    let issuer: OidcIssuer;
    let n = 0;
    const nextEmail = () => `${database.kind}-profile${++n}@example.com`;

    beforeAll(async () => {
      issuer = await startOidcIssuer("profile-client");
      const env: Record<string, string> = { ...providerEnv(issuer), ...(await database.env()) };
      h = await startMfaHarness(env);
    });
    afterAll(async () => {
      await h?.close();
      await issuer?.close();
    });

    async function signedIn() {
      const email = nextEmail();
      await h.signUp(email);
      return { email, api: h.authed((await h.login(email)).accessToken) };
    }

    it("stores every field, normalised, and GetCurrentUser shows them", async () => {
      const { api } = await signedIn();
      const updated = await api.updateCurrentUser(FULL_PROFILE);
      const expected = {
        ...FULL_PROFILE,
        nationality: "FR",
        postalAddress: {
          ...FULL_PROFILE.postalAddress,
          lines: ["Flat 2", "10 Downing Street"],
          country: "GB",
        },
      };
      expect(profileOf(updated.user)).toEqual(expected);
      expect(profileOf((await api.getCurrentUser({})).user)).toEqual(expected);
    });

    it("changes only the fields that are set, and the empty value removes one", async () => {
      const { api } = await signedIn();
      await api.updateCurrentUser(FULL_PROFILE);
      await api.updateCurrentUser({ jobTitle: "CTO", gender: "", postalAddress: {} });
      const { user } = await api.getCurrentUser({});
      expect(profileOf(user)).toMatchObject({
        jobTitle: "CTO",
        gender: "",
        postalAddress: undefined,
        birthDate: "1985-02-28",
        department: "Research",
        avatarUrl: FULL_PROFILE.avatarUrl,
      });
      // An unrelated change leaves them all alone.
      await api.updateCurrentUser({ firstName: "Ada" });
      expect(profileOf((await api.getCurrentUser({})).user)).toEqual(profileOf(user));
    });

    it("refuses each invalid value with INVALID_ARGUMENT naming the field, and changes nothing", async () => {
      const { api } = await signedIn();
      await api.updateCurrentUser(FULL_PROFILE);
      const before = profileOf((await api.getCurrentUser({})).user);
      for (const [update, field] of BAD_VALUES) {
        const call = api.updateCurrentUser({ firstName: "Changed", ...update });
        const error = await call.then(
          () => expect.fail(`accepted ${JSON.stringify(update).slice(0, 80)}`),
          (e: unknown) => ConnectError.from(e),
        );
        expect(Code[error.code]).toBe("InvalidArgument");
        expect(error.rawMessage).toMatch(field);
      }
      const after = (await api.getCurrentUser({})).user;
      expect(profileOf(after)).toEqual(before);
      expect(after?.firstName).toBe("");
    });

    it("accepts a birth date of today and of 1900-01-01, and ISO 3166-1 codes old and recent", async () => {
      const { api } = await signedIn();
      const today = new Date(h.server.clock.now()).toISOString().slice(0, 10);
      await api.updateCurrentUser({ birthDate: today });
      await api.updateCurrentUser({ birthDate: "1900-01-01" });
      for (const code of ["AX", "BQ", "CW", "SS", "SX", "GB", "US", "FR"]) {
        await api.updateCurrentUser({ nationality: code.toLowerCase(), residency: code });
      }
      const { user } = await api.getCurrentUser({});
      expect(user).toMatchObject({ birthDate: "1900-01-01", nationality: "FR", residency: "FR" });
    });

    it("records the time of every successful sign-in: password, second factor, provider; not a failed one", async () => {
      const clock = h.server.clock;
      // Password.
      const email = nextEmail();
      await h.signUp(email);
      const fresh = await h.auth.login({ identifier: email, password: PASSWORD });
      expect(fresh.result.case).toBe("tokens");
      const signedInAt = clock.now();
      const api = h.authed((fresh.result.value as { accessToken: string }).accessToken);
      const first = (await api.getCurrentUser({})).user;
      expect(first?.lastSignInTime && timestampMs(first.lastSignInTime)).toBe(signedInAt);
      clock.advanceSeconds(60);
      await expectCode(
        h.auth.login({ identifier: email, password: "not the password" }),
        Code.Unauthenticated,
      );
      expect(timestampMs((await api.getCurrentUser({})).user?.lastSignInTime ?? fail())).toBe(signedInAt);
      await h.login(email);
      expect(timestampMs((await api.getCurrentUser({})).user?.lastSignInTime ?? fail())).toBe(clock.now());

      // The second factor completes the sign-in: the password step alone is not one.
      const u = await h.userWithTotp(nextEmail());
      clock.advanceSeconds(600);
      const passwordStep = clock.now();
      const challenge = await h.auth.login({ identifier: u.email, password: PASSWORD });
      if (challenge.result.case !== "mfaChallenge") throw new Error("expected a challenge");
      expect(timestampMs((await u.auth.getCurrentUser({})).user?.lastSignInTime ?? fail())).toBeLessThan(
        passwordStep,
      );
      clock.advanceSeconds(30);
      await h.mfaFor("").verifyChallenge({
        challengeId: challenge.result.value.challengeId,
        authenticatorId: u.totpId,
        code: appCode(u.secret, clock.now()),
      });
      expect(timestampMs((await u.auth.getCurrentUser({})).user?.lastSignInTime ?? fail())).toBe(clock.now());

      // A provider's ID token.
      clock.advanceSeconds(60);
      const idToken = await issuer.mint(clock.now(), {
        claims: {
          sub: `${database.kind}-sub-${n}`,
          email: `${database.kind}-provider${n}@example.com`,
          email_verified: true,
        },
      });
      const res = await h.auth.loginWithProvider({ provider: "test", idToken });
      if (res.result.case !== "tokens") throw new Error("expected tokens");
      const byProvider = (await h.authed(res.result.value.accessToken).getCurrentUser({})).user;
      expect(timestampMs(byProvider?.lastSignInTime ?? fail())).toBe(clock.now());
    });

    it("UpdateCurrentUser has no last sign-in time to set: it stays what sign-in recorded", async () => {
      const { api } = await signedIn();
      const before = (await api.getCurrentUser({})).user?.lastSignInTime;
      h.server.clock.advanceSeconds(10);
      await api.updateCurrentUser({ title: "Ms" });
      expect((await api.getCurrentUser({})).user?.lastSignInTime).toEqual(before);
    });

    it("Register records the accepted terms and privacy versions and when; none when not given", async () => {
      const email = nextEmail();
      const registeredAt = h.server.clock.now();
      await h.auth.register({
        email,
        password: PASSWORD,
        acceptedTermsVersion: "2026-01",
        acceptedPrivacyVersion: "v3",
      });
      await h.auth.verifyEmail({ token: tokenFrom(await h.mailTo(email, /verify/i)) });
      h.server.clock.advanceSeconds(60);
      const { user } = await h.authed((await h.login(email)).accessToken).getCurrentUser({});
      expect(user).toMatchObject({ acceptedTermsVersion: "2026-01", acceptedPrivacyVersion: "v3" });
      expect(timestampMs(user?.termsAcceptTime ?? fail())).toBe(registeredAt);
      expect(timestampMs(user?.privacyAcceptTime ?? fail())).toBe(registeredAt);

      const { api } = await signedIn();
      const plain = (await api.getCurrentUser({})).user;
      expect(plain).toMatchObject({ acceptedTermsVersion: "", acceptedPrivacyVersion: "" });
      expect(plain?.termsAcceptTime).toBeUndefined();
      expect(plain?.privacyAcceptTime).toBeUndefined();
    });

    it("UpdateCurrentUser accepts newer terms and privacy versions, each with its time; empty is refused", async () => {
      const { email, api } = await signedIn();
      h.server.clock.advanceSeconds(30);
      const termsAt = h.server.clock.now();
      const first = (await api.updateCurrentUser({ acceptedTermsVersion: "2026-06" })).user;
      expect(first).toMatchObject({ acceptedTermsVersion: "2026-06", acceptedPrivacyVersion: "" });
      expect(timestampMs(first?.termsAcceptTime ?? fail())).toBe(termsAt);
      expect(first?.privacyAcceptTime).toBeUndefined();

      h.server.clock.advanceSeconds(30);
      const privacyAt = h.server.clock.now();
      await api.updateCurrentUser({ acceptedPrivacyVersion: "v4" });
      const { user } = await api.getCurrentUser({});
      expect(user).toMatchObject({ acceptedTermsVersion: "2026-06", acceptedPrivacyVersion: "v4" });
      expect(timestampMs(user?.termsAcceptTime ?? fail())).toBe(termsAt);
      expect(timestampMs(user?.privacyAcceptTime ?? fail())).toBe(privacyAt);

      await expectCode(
        api.updateCurrentUser({ acceptedTermsVersion: "  " }),
        Code.InvalidArgument,
        /accepted_terms_version: must not be empty/,
      );
      await expectCode(
        api.updateCurrentUser({ acceptedPrivacyVersion: "x".repeat(65) }),
        Code.InvalidArgument,
        /accepted_privacy_version/,
      );
      // An acceptance is the user's own act: an API key, even one that may write the profile, cannot.
      const sessions = h.server.client(SessionService, "connect", {
        authorization: `Bearer ${(await h.login(email)).accessToken}`,
      });
      const key = await sessions.createApiKey({
        name: "writer",
        scopes: ["profile:write"],
        currentPassword: PASSWORD,
      });
      const writer = h.server.client(AuthService, "connect", { "x-api-key": key.secret });
      await expectCode(writer.updateCurrentUser({ acceptedTermsVersion: "2027-01" }), Code.PermissionDenied);
      expect((await api.getCurrentUser({})).user?.acceptedTermsVersion).toBe("2026-06");
    });
  });
});

describe("required terms and privacy versions (AUTHD_REQUIRED_TERMS_VERSION, _PRIVACY_VERSION)", () => {
  let h: MfaHarness;
  beforeAll(async () => {
    h = await startMfaHarness({
      AUTHD_REQUIRED_TERMS_VERSION: "2026-01",
      AUTHD_REQUIRED_PRIVACY_VERSION: "v3",
    });
  });
  afterAll(() => h?.close());

  it("refuses a missing or other version with INVALID_ARGUMENT naming the field, and makes no account", async () => {
    const base = { email: "terms@example.com", password: PASSWORD };
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ acceptedPrivacyVersion: "v3" }, /accepted_terms_version: is required/],
      [
        { acceptedTermsVersion: "2025-12", acceptedPrivacyVersion: "v3" },
        /accepted_terms_version: must be 2026-01/,
      ],
      [{ acceptedTermsVersion: "2026-01" }, /accepted_privacy_version: is required/],
      [{ acceptedTermsVersion: "2026-01", acceptedPrivacyVersion: "v2" }, /accepted_privacy_version/],
    ];
    for (const [versions, message] of cases) {
      await expectCode(h.auth.register({ ...base, ...versions }), Code.InvalidArgument, message);
    }
    await h.server.afterReply.settled();
    await h.server.mail.flush();
    expect(h.smtp.to("terms@example.com")).toHaveLength(0);
  });

  it("registers with the required versions", async () => {
    await h.auth.register({
      email: "agreed@example.com",
      password: PASSWORD,
      acceptedTermsVersion: "2026-01",
      acceptedPrivacyVersion: "v3",
    });
    await h.auth.verifyEmail({ token: tokenFrom(await h.mailTo("agreed@example.com", /verify/i)) });
    const { user } = await h.authed((await h.login("agreed@example.com")).accessToken).getCurrentUser({});
    expect(user).toMatchObject({ acceptedTermsVersion: "2026-01", acceptedPrivacyVersion: "v3" });
  });

  it("UpdateCurrentUser accepts only the required version", async () => {
    const api = h.authed((await h.login("agreed@example.com")).accessToken);
    await expectCode(
      api.updateCurrentUser({ acceptedTermsVersion: "2025-12" }),
      Code.InvalidArgument,
      /accepted_terms_version: must be 2026-01/,
    );
    await expectCode(
      api.updateCurrentUser({ acceptedPrivacyVersion: "v9" }),
      Code.InvalidArgument,
      /accepted_privacy_version: must be v3/,
    );
    const { user } = await api.updateCurrentUser({ acceptedTermsVersion: "2026-01" });
    expect(user?.acceptedTermsVersion).toBe("2026-01");
  });
});

function fail(): never {
  throw new Error("expected a timestamp");
}
