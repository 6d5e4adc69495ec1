// The wrong-code lockout as domain logic, without a server or a database: the MFA domain talks to
// repositories it declares (src/domain/mfa/persistence.ts), so a map stands in for the table.
// The RPC tests (rpc/mfa/totp.in-process, rpc/mfa/postgres) check the same rules through a real server.
import { describe, expect, it } from "vitest";
import {
  CODE_LOCKOUT_SECONDS,
  clearFailures,
  MAX_CODE_FAILURES,
  reserveAttempt,
} from "../../src/domain/mfa/failures.js";
import type { FailureRecord, FailureRepository } from "../../src/domain/mfa/persistence.js";
import type { MfaRepositories } from "../../src/domain/persistence.js";
import type { Transaction } from "../../src/domain/unit-of-work.js";

/** An MFA transaction whose only repository is an in-memory failure counter. */
function failuresOnly(): Transaction<MfaRepositories> {
  const rows = new Map<string, FailureRecord>();
  const failures: FailureRepository = {
    find: async (key) => rows.get(key) ?? null,
    claimAttempt: async (key, now) => {
      const row = rows.get(key) ?? { failureKey: key, failures: 0, lockedUntil: null };
      rows.set(key, row);
      if (row.lockedUntil !== null && row.lockedUntil > now) return false;
      row.failures += 1;
      return true;
    },
    lockIfReached: async (key, max, until) => {
      const row = rows.get(key);
      if (row && row.failures >= max) Object.assign(row, { failures: 0, lockedUntil: until });
    },
    clear: async (key) => {
      rows.delete(key);
    },
    deleteSpentBefore: async () => {},
  };
  return { kind: "transaction", mfa: { failures } } as unknown as Transaction<MfaRepositories>;
}

describe("wrong-code lockout (domain, in memory)", () => {
  const key = "authenticator:a";
  const start = 1_000_000;

  it(`checks ${MAX_CODE_FAILURES} attempts, then refuses for ${CODE_LOCKOUT_SECONDS} s, then checks again`, async () => {
    const tx = failuresOnly();
    for (let i = 0; i < MAX_CODE_FAILURES; i++) expect(await reserveAttempt(tx, key, start)).toBeNull();
    const locked = await reserveAttempt(tx, key, start + 1000);
    expect(locked?.kind).toBe("resource_exhausted");
    expect(locked?.retryAfterSeconds).toBe(CODE_LOCKOUT_SECONDS - 1);
    expect(await reserveAttempt(tx, key, start + CODE_LOCKOUT_SECONDS * 1000 - 1)).not.toBeNull();
    expect(await reserveAttempt(tx, key, start + CODE_LOCKOUT_SECONDS * 1000)).toBeNull();
  });

  it("a right code (clearFailures) refunds the attempts counted so far", async () => {
    const tx = failuresOnly();
    for (let i = 0; i < MAX_CODE_FAILURES - 1; i++) await reserveAttempt(tx, key, start);
    await clearFailures(tx, key);
    for (let i = 0; i < MAX_CODE_FAILURES; i++) expect(await reserveAttempt(tx, key, start)).toBeNull();
    expect(await reserveAttempt(tx, key, start)).not.toBeNull();
  });
});
