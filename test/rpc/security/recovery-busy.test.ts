// Recovery codes on a busy server. A recovery code is a salted argon2id hash, checked through the
// same bounded hashing queue as passwords (AUTHD_HASH_CONCURRENCY=1, AUTHD_HASH_QUEUE_LENGTH=0
// here: one check at a time, no waiting room). A check the queue refuses answers Unavailable and
// must not count against the factor's lockout: a flood would otherwise lock the owner out of the
// factor meant for when everything else is lost.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MfaHarness, PASSWORD, startMfaHarness } from "../../helpers/mfa.js";

let h: MfaHarness;

beforeAll(async () => {
  h = await startMfaHarness({ AUTHD_HASH_CONCURRENCY: "1", AUTHD_HASH_QUEUE_LENGTH: "0" });
});
afterAll(() => h.close());

describe("recovery codes when the hashing queue is full", () => {
  it("answer Unavailable without counting, so the owner's right code still works afterwards", async () => {
    const u = await h.userWithTotp("busy-recovery@example.com");
    const login = await h.auth.login({ identifier: u.email, password: PASSWORD });
    if (login.result.case !== "mfaChallenge") throw new Error("expected a challenge");
    const challengeId = login.result.value.challengeId;
    const mfa = h.mfaFor("");

    // The server's one hashing place is taken (as by another user's sign-in), so every check is
    // refused: three times the five wrong codes that lock the factor, had any of them been counted.
    const busy = h.server.internals.hasher.admit();
    const outcomes: string[] = [];
    try {
      for (let attempt = 0; attempt < 15; attempt++) {
        outcomes.push(
          await mfa.verifyChallenge({ challengeId, authenticatorId: u.recoveryId, code: "AAAAA-AAAAA" }).then(
            () => "tokens",
            (e: unknown) => Code[ConnectError.from(e).code],
          ),
        );
      }
    } finally {
      busy.release();
    }
    expect(outcomes).toEqual(Array(15).fill("Unavailable"));

    const done = await mfa.verifyChallenge({
      challengeId,
      authenticatorId: u.recoveryId,
      code: u.codes[0] as string,
    });
    expect(done.tokens?.accessToken).toBeTruthy();
  });
});
