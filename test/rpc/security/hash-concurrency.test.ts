// A flood of sign-ins against a server that checks one password at a time with no waiting room
// (AUTHD_HASH_CONCURRENCY=1, AUTHD_HASH_QUEUE_LENGTH=0): the surplus is answered Unavailable at
// once, and a refused sign-in is not counted against the account it named.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AccountsHarness, PASSWORD, startAccountsHarness } from "../../helpers/accounts.js";

let h: AccountsHarness;

beforeAll(async () => {
  h = await startAccountsHarness({
    AUTHD_HASH_CONCURRENCY: "1",
    AUTHD_HASH_QUEUE_LENGTH: "0",
    AUTHD_LOGIN_MAX_FAILURES: "3",
  });
  await h.signUp("flood@example.com");
});
afterAll(() => h.close());

/** Fires `n` sign-ins at once; answers how each ended: "tokens" or the Connect code's name. */
async function flood(n: number, password: string): Promise<string[]> {
  const calls = Array.from({ length: n }, () =>
    h.auth.login({ identifier: "flood@example.com", password }).then(
      (res) => res.result.case ?? "none",
      (e: unknown) => {
        const error = ConnectError.from(e);
        if (error.code === Code.Unavailable) expect(error.rawMessage).toMatch(/busy/);
        return Code[error.code];
      },
    ),
  );
  return Promise.all(calls);
}

describe("a full hashing queue", () => {
  it("answers the surplus of a flood of sign-ins Unavailable (retry), and the rest sign in", async () => {
    const outcomes = await flood(12, PASSWORD);
    expect(outcomes.filter((o) => o !== "tokens" && o !== "Unavailable")).toEqual([]);
    expect(outcomes).toContain("Unavailable");
    expect(outcomes).toContain("tokens");
  });

  it("does not count a refused sign-in as a failure: the owner is not locked out by a busy server", async () => {
    // Three counted failures lock this account; many more than three are refused here.
    for (let round = 0; round < 3; round++) {
      const outcomes = await flood(12, PASSWORD);
      expect(outcomes.filter((o) => o === "Unavailable").length).toBeGreaterThan(0);
    }
    const res = await h.auth.login({ identifier: "flood@example.com", password: PASSWORD });
    expect(res.result.case).toBe("tokens");
  });

  it("answers wrong passwords that got a place Unauthenticated, never Internal", async () => {
    const outcomes = await flood(8, "not the password at all");
    expect(outcomes.filter((o) => o !== "Unauthenticated" && o !== "Unavailable")).toEqual([]);
    expect(outcomes).toContain("Unauthenticated");
  });
});
