// One account flooding recovery-code work (new sets: ten argon2id hashes each; wrong codes: up to
// ten argon2id comparisons each) must not stall everybody else. On SQLite every transaction waits
// for the one before, so slow hashing inside a transaction would hold up every other request.
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AuthenticatorType } from "../../../gen/authd/v1/mfa_pb.js";
import { appCode, type MfaHarness, PASSWORD, startMfaHarness } from "../../helpers/mfa.js";

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

describe("recovery-code work does not stall other users", () => {
  let h: MfaHarness;

  beforeAll(async () => {
    h = await startMfaHarness({
      AUTHD_ACCESS_TOKEN_TTL: "86400",
      // Costlier than the suite's default, so that a hash is clearly slower than a query.
      AUTHD_ARGON2_MEMORY_KIB: "8192",
      AUTHD_ARGON2_ITERATIONS: "3",
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  test("while one account floods new recovery codes and wrong ones, another user's GetCurrentUser stays fast", async () => {
    const flooder = await h.userWithTotp("flooder@example.com");
    await flooder.mfa.stepUp({
      authenticatorId: flooder.totpId,
      code: appCode(flooder.secret, h.server.clock.now()),
    });
    const other = await h.user("bystander@example.com");
    const neighbour = await h.user("neighbour@example.com");

    const timed = async () => {
      const start = performance.now();
      await other.auth.getCurrentUser({});
      return performance.now() - start;
    };
    const outcomes: Code[] = [];
    const settle = (call: Promise<unknown>) =>
      call.then(
        () => outcomes.push(Code.Unknown),
        (e: { code: Code }) => outcomes.push(e.code),
      );
    const wave = () => [
      ...Array.from({ length: 6 }, () =>
        settle(
          flooder.mfa.createAuthenticator({
            type: AuthenticatorType.RECOVERY_CODES,
            currentPassword: PASSWORD,
          }),
        ),
      ),
      // Well-formed but wrong recovery codes, as proof for removing a factor.
      ...Array.from({ length: 3 }, () =>
        settle(
          flooder.mfa.deleteAuthenticator({
            authenticatorId: flooder.totpId,
            proof: { case: "code", value: "AAAAA-AAAAA" },
          }),
        ),
      ),
    ];

    // As many cheap requests from another account: the baseline is waiting behind them.
    const cheapWave = () => Array.from({ length: 9 }, () => neighbour.mfa.listAuthenticators({}));
    /** The bystander's latency behind a wave given a head start into the server. */
    const behind = async (requests: Promise<unknown>[]) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const ms = await timed();
      await Promise.all(requests);
      return ms;
    };

    await behind(cheapWave()); // warm-up
    const baseline: number[] = [];
    const flooded: number[] = [];
    // Interleaved, so that a busy moment of the machine hits both series alike.
    for (let round = 0; round < 10; round++) {
      baseline.push(await behind(cheapWave()));
      flooded.push(await behind(wave()));
    }
    // Beyond AUTHD_RECOVERY_CODE_REGENERATIONS (five per window, one used by the enrolment) new
    // sets are refused; wrong codes stop being compared once the lockout starts.
    const refused = outcomes.filter((c) => c === Code.ResourceExhausted).length;
    expect(refused).toBeGreaterThanOrEqual(10 * 6 - 4 + 10 * 3 - 5);
    // Waiting behind requests is fine; waiting behind another account's hashing is not.
    const generous = median(baseline) * 5 + 400;
    expect(
      median(flooded),
      `baseline ${baseline.map(Math.round)}, flooded ${flooded.map(Math.round)}`,
    ).toBeLessThan(generous);
  });
});
