// TOTP: the RFC 6238 vectors, enrolment checked against an independent implementation, replay,
// drift and lockout, all through the real app and handlers (in process: no socket) and the
// generated clients.
import { Code } from "@connectrpc/connect";
import { stringToBytes } from "otplib";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SessionScope } from "../../../gen/authd/v1/common_pb.js";
import { AuthenticatorType } from "../../../gen/authd/v1/mfa_pb.js";
import { totpCode, verifyTotp } from "../../../src/domain/mfa/totp.js";
import { MfaAuthenticatorEntity } from "../../../src/store/entities/mfa.js";
import { expectCode } from "../../helpers/accounts.js";
import { type InProcessServer, startInProcess } from "../../helpers/in-process.js";
import {
  appCode,
  base32Decode,
  type MfaHarness,
  PASSWORD,
  referenceTotp,
  type SignedIn,
  startMfaHarness,
} from "../../helpers/mfa.js";

const seeds = {
  sha1: "12345678901234567890",
  sha256: "12345678901234567890123456789012",
  sha512: "1234567890123456789012345678901234567890123456789012345678901234",
} as const;

// RFC 6238 Appendix B: unix time, then SHA-1, SHA-256, SHA-512 (8 digits, 30 s, T0 = 0).
const vectors: Array<[number, string, string, string]> = [
  [59, "94287082", "46119246", "90693936"],
  [1111111109, "07081804", "68084774", "25091201"],
  [1111111111, "14050471", "67062674", "99943326"],
  [1234567890, "89005924", "91819424", "93441116"],
  [2000000000, "69279037", "90698825", "38618901"],
  [20000000000, "65353130", "77737706", "47863826"],
];

describe("RFC 6238 Appendix B vectors", () => {
  for (const [time, ...codes] of vectors) {
    (["sha1", "sha256", "sha512"] as const).forEach((algorithm, i) => {
      test(`${algorithm} at ${time} gives ${codes[i]} through the TOTP module and the reference`, async () => {
        const params = { algorithm, digits: 8 as const, periodSeconds: 30 };
        const secret = stringToBytes(seeds[algorithm]);
        expect(await totpCode(secret, time * 1000, params)).toBe(codes[i]);
        expect(await verifyTotp(secret, codes[i] as string, time * 1000, null, params)).toBe(
          Math.floor(time / 30),
        );
        expect(referenceTotp(Buffer.from(seeds[algorithm]), time, 8, algorithm)).toBe(codes[i]);
      });
    });
  }
});

describe("TOTP through the server", () => {
  let h: MfaHarness<InProcessServer>;
  let n = 0;
  const now = () => h.server.clock.now();

  beforeAll(async () => {
    h = await startMfaHarness({ AUTHD_ACCESS_TOKEN_TTL: "86400" }, startInProcess);
  });
  afterAll(async () => {
    await h?.close();
  });

  /** A signed-in user with an active TOTP factor; answers its secret and id. */
  async function withTotp(): Promise<SignedIn & { secret: string; id: string }> {
    const u = await h.user(`totp${++n}@example.com`);
    const created = await u.mfa.createAuthenticator({
      currentPassword: PASSWORD,
      type: AuthenticatorType.TOTP,
    });
    const id = created.authenticator?.id as string;
    await u.mfa.verifyAuthenticator({
      currentPassword: PASSWORD,
      authenticatorId: id,
      code: appCode(created.totpSecret, now()),
    });
    // Past the enrolment code's step and its drift window, so later tests start clean.
    h.server.clock.advanceSeconds(120);
    return { ...u, secret: created.totpSecret, id };
  }

  test("a factor change can sign out every other session (ASVS 7.4.3)", async () => {
    const u = await h.user("others@example.com");
    const other = await h.login("others@example.com");
    const created = await u.mfa.createAuthenticator({
      currentPassword: PASSWORD,
      type: AuthenticatorType.TOTP,
    });
    await u.mfa.verifyAuthenticator({
      currentPassword: PASSWORD,
      authenticatorId: created.authenticator?.id as string,
      code: appCode(created.totpSecret, now()),
      endSessions: SessionScope.OTHERS,
    });
    await expectCode(h.authed(other.accessToken).getCurrentUser({}), Code.Unauthenticated);
    await u.auth.getCurrentUser({});
  });

  /** Runs `work` while the database refuses to revoke any session (the sign-out a change asks for fails). */
  async function whileRevocationFails<T>(work: () => Promise<T>): Promise<T> {
    await h.server.db.transaction((em) =>
      em.query(
        `CREATE TRIGGER refuse_revocation BEFORE UPDATE OF revoked_at ON sessions
         WHEN NEW.revoked_at IS NOT NULL BEGIN SELECT RAISE(ABORT, 'revocation refused by the test'); END`,
      ),
    );
    try {
      return await work();
    } finally {
      await h.server.db.transaction((em) => em.query("DROP TRIGGER refuse_revocation"));
    }
  }

  test("a factor activated with end_sessions commits with the sign-out or not at all", async () => {
    const u = await h.user("atomic-add@example.com");
    const other = await h.login("atomic-add@example.com");
    const created = await u.mfa.createAuthenticator({
      currentPassword: PASSWORD,
      type: AuthenticatorType.TOTP,
    });
    const id = created.authenticator?.id as string;
    await whileRevocationFails(() =>
      expectCode(
        u.mfa.verifyAuthenticator({
          currentPassword: PASSWORD,
          authenticatorId: id,
          code: appCode(created.totpSecret, now()),
          endSessions: SessionScope.OTHERS,
        }),
        Code.Internal,
      ),
    );
    // Neither happened: the factor is still pending and the other session still signed in.
    expect((await u.mfa.getAuthenticator({ authenticatorId: id })).authenticator?.active).toBe(false);
    await h.authed(other.accessToken).getCurrentUser({});
    h.server.clock.advanceSeconds(120);
  });

  test("a factor removed with end_sessions commits with the sign-out or not at all", async () => {
    const u = await h.user("atomic-remove@example.com");
    const other = await h.login("atomic-remove@example.com");
    const created = await u.mfa.createAuthenticator({
      currentPassword: PASSWORD,
      type: AuthenticatorType.TOTP,
    });
    const id = created.authenticator?.id as string;
    // Activating it is this session's step-up, which removing it with the password needs.
    await u.mfa.verifyAuthenticator({
      currentPassword: PASSWORD,
      authenticatorId: id,
      code: appCode(created.totpSecret, now()),
    });
    await whileRevocationFails(() =>
      expectCode(
        u.mfa.deleteAuthenticator({
          authenticatorId: id,
          proof: { case: "currentPassword", value: PASSWORD },
          endSessions: SessionScope.OTHERS,
        }),
        Code.Internal,
      ),
    );
    expect((await u.mfa.getAuthenticator({ authenticatorId: id })).authenticator?.active).toBe(true);
    await h.authed(other.accessToken).getCurrentUser({});
    h.server.clock.advanceSeconds(120);
  });

  test("enrolment answers a 160-bit secret, an otpauth URI and a QR code; a code from an independent implementation activates it", async () => {
    const u = await h.user("enrol@example.com");
    const created = await u.mfa.createAuthenticator({
      currentPassword: PASSWORD,
      type: AuthenticatorType.TOTP,
    });
    expect(base32Decode(created.totpSecret)).toHaveLength(20);
    expect(created.totpUri).toBe(
      `otpauth://totp/authd:enrol%40example.com?secret=${created.totpSecret}&issuer=authd`,
    );
    expect(created.totpQrCode).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(Buffer.from(created.totpQrCode.split(",")[1] as string, "base64").toString()).toContain("<svg");
    expect(created.authenticator?.active).toBe(false);
    // Pending: sign-in still needs only the password.
    await h.login("enrol@example.com");

    const id = created.authenticator?.id as string;
    await expectCode(
      u.mfa.verifyAuthenticator({
        currentPassword: PASSWORD,
        authenticatorId: id,
        code: "000000" === appCode(created.totpSecret, now()) ? "111111" : "000000",
      }),
      Code.InvalidArgument,
      /code/,
    );
    const verified = await u.mfa.verifyAuthenticator({
      currentPassword: PASSWORD,
      authenticatorId: id,
      code: appCode(created.totpSecret, now()),
    });
    expect(verified.authenticator?.active).toBe(true);
    const login = await h.auth.login({
      identifier: "enrol@example.com",
      password: "correct horse battery staple",
    });
    expect(login.result.case).toBe("mfaChallenge");
  });

  test("the secret is stored sealed, never in clear, and never listed", async () => {
    const u = await h.user("sealed@example.com");
    const created = await u.mfa.createAuthenticator({
      currentPassword: PASSWORD,
      type: AuthenticatorType.TOTP,
    });
    const row = await h.server.db.transaction((em) =>
      em.findOneByOrFail(MfaAuthenticatorEntity, { id: created.authenticator?.id as string }),
    );
    expect(row.secretSealed).not.toContain(created.totpSecret);
    const listed = await u.mfa.listAuthenticators({});
    expect(JSON.stringify(listed, (_k, v) => (typeof v === "bigint" ? String(v) : v))).not.toContain(
      created.totpSecret,
    );
  });

  test("enrolling TOTP again replaces the pending secret", async () => {
    const u = await h.user("again@example.com");
    const first = await u.mfa.createAuthenticator({
      currentPassword: PASSWORD,
      type: AuthenticatorType.TOTP,
    });
    const second = await u.mfa.createAuthenticator({
      currentPassword: PASSWORD,
      type: AuthenticatorType.TOTP,
    });
    const listed = await u.mfa.listAuthenticators({});
    expect(listed.authenticators.map((a) => a.id)).toEqual([second.authenticator?.id]);
    await expectCode(
      u.mfa.verifyAuthenticator({
        currentPassword: PASSWORD,
        authenticatorId: first.authenticator?.id as string,
        code: appCode(first.totpSecret, now()),
      }),
      Code.NotFound,
    );
  });

  test("a code is accepted once: the same code, or one of an earlier step, is refused (no replay)", async () => {
    const u = await withTotp();
    const code = appCode(u.secret, now());
    await u.mfa.stepUp({ authenticatorId: u.id, code });
    await expectCode(u.mfa.stepUp({ authenticatorId: u.id, code }), Code.Unauthenticated);
    // The previous step is inside the drift window but older than the step just used.
    await expectCode(
      u.mfa.stepUp({ authenticatorId: u.id, code: appCode(u.secret, now() - 30_000) }),
      Code.Unauthenticated,
    );
  });

  test("one step of drift either way is accepted; two steps are refused", async () => {
    const u = await withTotp();
    await expectCode(
      u.mfa.stepUp({ authenticatorId: u.id, code: appCode(u.secret, now() - 60_000) }),
      Code.Unauthenticated,
    );
    await u.mfa.stepUp({ authenticatorId: u.id, code: appCode(u.secret, now() - 30_000) });
    await expectCode(
      u.mfa.stepUp({ authenticatorId: u.id, code: appCode(u.secret, now() + 60_000) }),
      Code.Unauthenticated,
    );
    await u.mfa.stepUp({ authenticatorId: u.id, code: appCode(u.secret, now() + 30_000) });
  });

  test("five wrong codes lock the factor for 15 minutes; moving the clock unlocks it", async () => {
    const u = await withTotp();
    const good = appCode(u.secret, now());
    const wrong = good === "123456" ? "654321" : "123456";
    for (let i = 0; i < 4; i++) {
      await expectCode(u.mfa.stepUp({ authenticatorId: u.id, code: wrong }), Code.Unauthenticated);
    }
    const locked = await expectCode(
      u.mfa.stepUp({ authenticatorId: u.id, code: wrong }),
      Code.ResourceExhausted,
    );
    expect(Number(locked.metadata.get("retry-after"))).toBe(900);
    // Even the right code is refused while locked.
    await expectCode(u.mfa.stepUp({ authenticatorId: u.id, code: good }), Code.ResourceExhausted);
    h.server.clock.advanceSeconds(14 * 60);
    await expectCode(
      u.mfa.stepUp({ authenticatorId: u.id, code: appCode(u.secret, now()) }),
      Code.ResourceExhausted,
    );
    h.server.clock.advanceSeconds(61);
    const ok = await u.mfa.stepUp({ authenticatorId: u.id, code: appCode(u.secret, now()) });
    expect(ok.validUntilTime).toBeDefined();
  });

  test("bad input names the field", async () => {
    const u = await h.user("input@example.com");
    await expectCode(
      u.mfa.createAuthenticator({ currentPassword: PASSWORD, type: AuthenticatorType.UNSPECIFIED }),
      Code.InvalidArgument,
      /type/,
    );
    await expectCode(
      u.mfa.getAuthenticator({ authenticatorId: "nope" }),
      Code.InvalidArgument,
      /authenticator_id/,
    );
    await expectCode(
      u.mfa.verifyAuthenticator({
        currentPassword: PASSWORD,
        authenticatorId: "00000000-0000-4000-8000-000000000000",
        code: "123456",
      }),
      Code.NotFound,
    );
    await expectCode(h.mfaFor("").listAuthenticators({}), Code.Unauthenticated);
  });
});
