// Login must not tell known accounts from unknown identifiers by its time: a wrong password for a
// known account (whatever the costs its hash was made with) and an unknown identifier take the same
// median time over hundreds of interleaved requests.
import { performance } from "node:perf_hooks";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PasswordHasher } from "../../../src/domain/passwords.js";
import { UserEntity } from "../../../src/store/entities/user.js";
import { type AccountsHarness, PASSWORD, startAccountsHarness } from "../../helpers/accounts.js";

let h: AccountsHarness;

// Costs closer to production than the suite's defaults, so argon2 weighs what it weighs in real life.
const COSTS = { memoryKib: 8192, iterations: 2, parallelism: 1 };
const ROUNDS = 240;
const ACCOUNTS = 4;

beforeAll(async () => {
  h = await startAccountsHarness({
    AUTHD_ARGON2_MEMORY_KIB: String(COSTS.memoryKib),
    AUTHD_ARGON2_ITERATIONS: String(COSTS.iterations),
    AUTHD_LOGIN_MAX_FAILURES: "100",
    AUTHD_LOGIN_MAX_FAILURES_PER_IP: "100000",
  });
  // Accounts whose hash predates a cost increase keep their older, cheaper hash until they sign in.
  const older = await new PasswordHasher({ memoryKib: 1024, iterations: 1, parallelism: 1 }).hash(PASSWORD);
  for (let i = 0; i < ACCOUNTS; i++) {
    await h.signUp(`current${i}@example.com`);
    await h.signUp(`older${i}@example.com`);
    await h.server.db.transaction((em) =>
      em.update(UserEntity, { email: `older${i}@example.com` }, { passwordHash: older }),
    );
  }
}, 120_000);
afterAll(() => h.close());

async function failedLoginMs(identifier: string): Promise<number> {
  const start = performance.now();
  const error = await h.auth.login({ identifier, password: "a wrong password guess" }).then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );
  const elapsed = performance.now() - start;
  expect(error?.code).toBe(Code.Unauthenticated);
  return elapsed;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

describe("Login timing", () => {
  it(`a known account with a wrong password and an unknown identifier differ by a median within 10 % over ${ROUNDS} interleaved rounds`, async () => {
    const samples = { unknown: [] as number[], current: [] as number[], older: [] as number[] };
    const kinds = Object.keys(samples) as Array<keyof typeof samples>;
    // Warm up connections and the dummy hash.
    for (const kind of kinds) await failedLoginMs(`${kind}-warmup@example.com`);
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order so no kind always runs first after a pause.
      for (let k = 0; k < kinds.length; k++) {
        const kind = kinds[(round + k) % kinds.length] as keyof typeof samples;
        const identifier =
          kind === "unknown" ? `nobody${round}@example.com` : `${kind}${round % ACCOUNTS}@example.com`;
        samples[kind].push(await failedLoginMs(identifier));
      }
    }
    // The machine is shared and its load swings within seconds: compare each round's samples with
    // each other (taken back to back) and take the median of those differences, which the load
    // shifts equally, against the median time of an unknown identifier.
    const unknown = median(samples.unknown);
    const report = kinds.map((k) => `${k} ${median(samples[k]).toFixed(2)} ms`).join(", ");
    for (const kind of ["current", "older"] as const) {
      const differences = samples[kind].map((ms, i) => ms - (samples.unknown[i] as number));
      const shift = median(differences) / unknown;
      expect(Math.abs(shift), `${kind} vs unknown: ${report}`).toBeLessThan(0.1);
    }
  }, 240_000);
});
