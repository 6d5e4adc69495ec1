// Paging and filters of ListAuthenticators and ListTrustedDevices, on SQLite and PostgreSQL.
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthenticatorType, type MfaChallenge } from "../../../gen/authd/v1/mfa_pb.js";
import { expectCode } from "../../helpers/accounts.js";
import { forEachDatabase } from "../../helpers/databases.js";
import { appCode, type MfaHarness, PASSWORD, startMfaHarness, type TotpUser } from "../../helpers/mfa.js";
import { testMobile } from "../../helpers/mobiles.js";

forEachDatabase("MFA lists", (database) => {
  describe("page and filter", () => {
    let h: MfaHarness;
    let n = 0;

    beforeAll(async () => {
      h = await startMfaHarness(await database.env());
    });
    afterAll(async () => {
      await h.close();
    });

    /** A user with active TOTP and recovery codes, and pending SMS and email factors. */
    async function userWithFourFactors(): Promise<TotpUser> {
      const u = await h.userWithTotp(`paging${++n}@example.com`);
      h.server.clock.advanceSeconds(30);
      await u.mfa.stepUp({ authenticatorId: u.totpId, code: appCode(u.secret, h.server.clock.now()) });
      const mobile = testMobile(n);
      await u.mfa.createAuthenticator({ type: AuthenticatorType.SMS, mobile, currentPassword: PASSWORD });
      await u.mfa.createAuthenticator({ type: AuthenticatorType.EMAIL, currentPassword: PASSWORD });
      return u;
    }

    /** Signs in with the TOTP factor (remembering the device when asked); answers the access token. */
    async function signInWithTotp(u: TotpUser, rememberDevice = true): Promise<string> {
      const res = await h.auth.login({ identifier: u.email, password: PASSWORD });
      if (res.result.case !== "mfaChallenge") throw new Error(`expected a challenge, got ${res.result.case}`);
      const challenge: MfaChallenge = res.result.value;
      h.server.clock.advanceSeconds(30);
      const done = await h.mfaFor("").verifyChallenge({
        challengeId: challenge.challengeId,
        authenticatorId: u.totpId,
        code: appCode(u.secret, h.server.clock.now()),
        rememberDevice,
      });
      return done.tokens?.accessToken as string;
    }

    it("ListAuthenticators pages through every authenticator once, newest first", async () => {
      const u = await userWithFourFactors();
      const whole = (await u.mfa.listAuthenticators({ pageSize: 100 })).authenticators;
      expect(whole).toHaveLength(4);
      const first = await u.mfa.listAuthenticators({ pageSize: 3 });
      expect(first.authenticators).toHaveLength(3);
      expect(first.nextPageToken).not.toBe("");
      const second = await u.mfa.listAuthenticators({ pageSize: 3, pageToken: first.nextPageToken });
      expect(second.nextPageToken).toBe("");
      const paged = [...first.authenticators, ...second.authenticators];
      expect(paged.map((a) => a.id)).toEqual(whole.map((a) => a.id));
      const times = paged.map((a) => Number(a.createTime?.seconds));
      expect(times).toEqual([...times].sort((a, b) => b - a));
      // No page_size: the default page holds them all.
      expect((await u.mfa.listAuthenticators({})).authenticators).toHaveLength(4);
    });

    it("ListAuthenticators filters by type and by verified", async () => {
      const u = await userWithFourFactors();
      const kinds = async (req: { type?: AuthenticatorType; verified?: boolean }) =>
        (await u.mfa.listAuthenticators(req)).authenticators.map((a) => [a.type, a.active]);
      expect(await kinds({ type: AuthenticatorType.TOTP })).toEqual([[AuthenticatorType.TOTP, true]]);
      expect((await kinds({ verified: true })).sort()).toEqual(
        [
          [AuthenticatorType.TOTP, true],
          [AuthenticatorType.RECOVERY_CODES, true],
        ].sort(),
      );
      expect((await kinds({ verified: false })).sort()).toEqual(
        [
          [AuthenticatorType.SMS, false],
          [AuthenticatorType.EMAIL, false],
        ].sort(),
      );
      expect(await kinds({ type: AuthenticatorType.SMS, verified: true })).toEqual([]);
      expect(await kinds({ type: AuthenticatorType.SMS, verified: false })).toEqual([
        [AuthenticatorType.SMS, false],
      ]);
      // A filtered list pages too, and its token keeps to its filter.
      const first = await u.mfa.listAuthenticators({ verified: false, pageSize: 1 });
      const second = await u.mfa.listAuthenticators({
        verified: false,
        pageSize: 1,
        pageToken: first.nextPageToken,
      });
      const paged = [...first.authenticators, ...second.authenticators];
      expect(paged.map((a) => a.type).sort()).toEqual(
        [AuthenticatorType.SMS, AuthenticatorType.EMAIL].sort(),
      );
      expect(paged.every((a) => !a.active)).toBe(true);
      expect(second.nextPageToken).toBe("");
      await expectCode(
        u.mfa.listAuthenticators({ verified: true, pageSize: 1, pageToken: first.nextPageToken }),
        Code.InvalidArgument,
        /^page_token: /,
      );
      await expectCode(
        u.mfa.listAuthenticators({ type: 99 as AuthenticatorType }),
        Code.InvalidArgument,
        /^type: /,
      );
    });

    it("forged, foreign or mismatched page tokens and bad sizes answer INVALID_ARGUMENT naming the field", async () => {
      const u = await userWithFourFactors();
      await signInWithTotp(u);
      await signInWithTotp(u);
      const devicesToken = (await u.mfa.listTrustedDevices({ pageSize: 1 })).nextPageToken;
      expect(devicesToken).not.toBe("");
      const authToken = (await u.mfa.listAuthenticators({ pageSize: 1 })).nextPageToken;
      const forged = Buffer.from(JSON.stringify({ l: "authenticators:any:any", c: -1, i: "x" })).toString(
        "base64url",
      );
      for (const pageToken of ["not a token", "AAAA", forged, devicesToken, `${authToken}x`]) {
        await expectCode(u.mfa.listAuthenticators({ pageToken }), Code.InvalidArgument, /^page_token: /);
      }
      await expectCode(
        u.mfa.listTrustedDevices({ pageToken: authToken }),
        Code.InvalidArgument,
        /^page_token: /,
      );
      await expectCode(u.mfa.listTrustedDevices({ pageToken: "%%%" }), Code.InvalidArgument, /^page_token: /);
      await expectCode(u.mfa.listAuthenticators({ pageSize: -1 }), Code.InvalidArgument, /^page_size: /);
      await expectCode(u.mfa.listTrustedDevices({ pageSize: -1 }), Code.InvalidArgument, /^page_size: /);
      const at = timestampFromMs(h.server.clock.now());
      await expectCode(
        u.mfa.listTrustedDevices({ createdAfter: at, createdBefore: at }),
        Code.InvalidArgument,
        /^created_before: /,
      );
    });

    it("ListTrustedDevices pages newest first, filters by creation time, and leaves out expired devices", async () => {
      const u = await h.userWithTotp(`devices${++n}@example.com`);
      for (let i = 0; i < 3; i++) await signInWithTotp(u);
      const whole = (await u.mfa.listTrustedDevices({})).devices;
      expect(whole).toHaveLength(3);
      const times = whole.map((d) => Number(d.createTime?.seconds));
      expect(times).toEqual([...times].sort((a, b) => b - a));
      const first = await u.mfa.listTrustedDevices({ pageSize: 2 });
      const second = await u.mfa.listTrustedDevices({ pageSize: 2, pageToken: first.nextPageToken });
      expect(second.nextPageToken).toBe("");
      expect([...first.devices, ...second.devices].map((d) => d.id)).toEqual(whole.map((d) => d.id));
      const oldest = whole[2]?.createTime;
      const newer = await u.mfa.listTrustedDevices({ createdAfter: oldest });
      expect(newer.devices.map((d) => d.id)).toEqual(whole.slice(0, 2).map((d) => d.id));
      const older = await u.mfa.listTrustedDevices({ createdBefore: whole[0]?.createTime });
      expect(older.devices.map((d) => d.id)).toEqual(whole.slice(1).map((d) => d.id));
      // Past the trust period the devices are no longer listed (nor trusted).
      h.server.clock.advanceSeconds(31 * 24 * 3600);
      const fresh = h.mfaFor(await signInWithTotp(u, false));
      expect((await fresh.listTrustedDevices({})).devices).toEqual([]);
    });
  });
});
