// The race-sensitive parts of MFA on PostgreSQL, where transactions really run side by side:
// a challenge is consumed once, a TOTP code is accepted once, concurrent wrong codes all count, and
// no more codes are compared than the lockout allows.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { expectCode } from "../../helpers/accounts.js";
import { appCode, type MfaHarness, PASSWORD, startMfaHarness } from "../../helpers/mfa.js";
import { createTestDatabase } from "../../helpers/postgres.js";

/** The Connect codes of the calls that failed; none may be Internal (a deadlock, a constraint). */
function failureCodes(answers: PromiseSettledResult<unknown>[]): Code[] {
  const codes = answers.flatMap((a) => (a.status === "rejected" ? [ConnectError.from(a.reason).code] : []));
  expect(codes).not.toContain(Code.Internal);
  return codes;
}

describe("MFA on PostgreSQL", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let h: MfaHarness;
  let n = 0;
  const now = () => h.server.clock.now();

  beforeAll(async () => {
    db = await createTestDatabase();
    h = await startMfaHarness({ AUTHD_DATABASE_URL: db.url, AUTHD_ACCESS_TOKEN_TTL: "86400" });
  });
  afterAll(async () => {
    await h?.close();
    await db?.drop();
  });

  const mfaUser = () => h.userWithTotp(`pg${++n}@example.com`);

  test("of concurrent verifications of one challenge, exactly one creates a session", async () => {
    const u = await mfaUser();
    const res = await h.auth.login({ identifier: u.email, password: PASSWORD });
    if (res.result.case !== "mfaChallenge") throw new Error("expected a challenge");
    const challengeId = res.result.value.challengeId;
    const answers = await Promise.allSettled(
      u.codes
        .slice(0, 6)
        .map((code) => h.mfaFor("").verifyChallenge({ challengeId, authenticatorId: u.recoveryId, code })),
    );
    expect(answers.filter((a) => a.status === "fulfilled")).toHaveLength(1);
    failureCodes(answers);
  });

  test("of concurrent step-ups with the same TOTP code, exactly one passes", async () => {
    const u = await mfaUser();
    const code = appCode(u.secret, now());
    const answers = await Promise.allSettled(
      Array.from({ length: 6 }, () => u.mfa.stepUp({ authenticatorId: u.totpId, code })),
    );
    expect(answers.filter((a) => a.status === "fulfilled")).toHaveLength(1);
    failureCodes(answers);
  });

  test("concurrent wrong codes all count: the factor ends up locked", async () => {
    const u = await mfaUser();
    const good = appCode(u.secret, now());
    const wrong = good === "123456" ? "654321" : "123456";
    const answers = await Promise.allSettled(
      Array.from({ length: 8 }, () => u.mfa.stepUp({ authenticatorId: u.totpId, code: wrong })),
    );
    expect(answers.every((a) => a.status === "rejected")).toBe(true);
    expect(failureCodes(answers)).toContain(Code.ResourceExhausted);
    await expectCode(u.mfa.stepUp({ authenticatorId: u.totpId, code: good }), Code.ResourceExhausted);
  });

  test("of concurrent wrong recovery codes, no more are compared than the lockout allows", async () => {
    const u = await mfaUser();
    const answers = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        u.mfa.stepUp({
          authenticatorId: u.recoveryId,
          code: `AAAAA-AAA${String.fromCharCode(65 + (i % 26))}`,
        }),
      ),
    );
    const codes = failureCodes(answers);
    expect(codes).toHaveLength(30);
    // Four wrong answers; the fifth compared code starts the lock, and the rest are not compared.
    expect(codes.filter((c) => c === Code.Unauthenticated)).toHaveLength(4);
    expect(codes.filter((c) => c === Code.ResourceExhausted)).toHaveLength(26);
    await expectCode(
      u.mfa.stepUp({ authenticatorId: u.recoveryId, code: u.codes[0] as string }),
      Code.ResourceExhausted,
    );
  });
});
