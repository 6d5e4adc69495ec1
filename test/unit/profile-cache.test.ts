// Which writes make the profile cache forget, without a server: the store repositories whose writes
// change what GetCurrentUser shows say so in exactly those writes (a profile-changing write through
// a scoped unit of work clears the entry; a sign-in's counters, a rate limit, a session do not).
// test/rpc/accounts/profile-freshness.test.ts checks the same through the RPCs.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { newAccount } from "../../src/domain/accounts/new-account.js";
import type { Profile } from "../../src/domain/accounts/profile.js";
import { ProfileCache } from "../../src/domain/accounts/profile-cache.js";
import { ACCOUNT_REPOSITORIES, MFA_REPOSITORIES } from "../../src/domain/persistence.js";
import { DEFAULT_TENANT_ID } from "../../src/domain/tenants/records.js";
import { commit } from "../../src/domain/unit-of-work.js";
import { openDatabase, openReaders } from "../../src/store/data-source.js";
import { Store } from "../../src/store/store.js";
import { StoreUnitOfWork } from "../../src/store/unit-of-work.js";

let dir: string;
let store: Store;
const cache = new ProfileCache();
const NOW = 1_800_000_000_000;
const account = newAccount(NOW, {
  tenantId: DEFAULT_TENANT_ID,
  email: "cached@example.com",
  emailVerified: true,
  passwordHash: "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
});
const other = newAccount(NOW, {
  tenantId: DEFAULT_TENANT_ID,
  email: "other@example.com",
  emailVerified: true,
  passwordHash: "x",
});
const profile = (id: string) => ({ id }) as Profile;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "authd-profile-cache-"));
  const url = `sqlite:${path.join(dir, "authd.db")}`;
  const { dataSource } = await openDatabase(url);
  store = new Store(dataSource, await openReaders(url));
  await new StoreUnitOfWork(store).run(async (tx) => {
    await tx.accounts.insert(account);
    await tx.accounts.insert(other);
    return commit(undefined);
  });
});
afterAll(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The accounts' unit of work, wired to the cache as app wiring does. */
const accounts = () =>
  new StoreUnitOfWork(store, { profileChanged: (userId) => cache.forget(userId) }).scoped(
    ACCOUNT_REPOSITORIES,
  );

/** Caches both profiles, runs `write` in one transaction, answers which profiles are still cached. */
async function cachedAfter(
  write: Parameters<ReturnType<typeof accounts>["run"]>[0] extends (tx: infer T) => unknown
    ? (tx: T) => Promise<unknown>
    : never,
): Promise<string[]> {
  for (const id of [account.id, other.id]) cache.put(id, profile(id), cache.snapshot());
  await accounts().run(async (tx) => commit(await write(tx)));
  return [account.id, other.id].filter((id) => cache.get(id) !== undefined);
}

describe("the profile cache forgets exactly what a write changes", () => {
  beforeEach(() => cache.clear());

  it("forgets the account whose row a profile write changes", async () => {
    expect(await cachedAfter((tx) => tx.accounts.update(account.id, { firstName: "Ada" }))).toEqual([
      other.id,
    ]);
    expect(await cachedAfter((tx) => tx.users.recordSignIn(account.id, NOW + 1))).toEqual([other.id]);
    expect(await cachedAfter((tx) => tx.mfa.users.markMobileVerified(account.id, NOW + 2))).toEqual([
      other.id,
    ]);
  });

  it("forgets every account when a second-factor write does not say whose", async () => {
    expect(await cachedAfter((tx) => tx.mfa.authenticators.activate(randomId(), NOW))).toEqual([]);
    expect(await cachedAfter((tx) => tx.mfa.recoveryCodes.claim(randomId(), randomId(), NOW))).toEqual([]);
  });

  it("keeps every profile through a sign-in's counters, which no profile shows", async () => {
    const failure = { max: 100, lockEnds: NOW + 60_000, now: NOW };
    expect(await cachedAfter((tx) => tx.accounts.countFailedSignIn(account.id, failure))).toEqual([
      account.id,
      other.id,
    ]);
    expect(
      await cachedAfter((tx) =>
        tx.accounts.claimSignIn(account.id, account.passwordHash, account.passwordHash),
      ),
    ).toEqual([account.id, other.id]);
  });

  it("keeps every profile through writes to other tables (a rate limit, a session, a code)", async () => {
    expect(await cachedAfter((tx) => tx.rateLimits.bump("login:ip:203.0.113.9", NOW, NOW + 60_000))).toEqual([
      account.id,
      other.id,
    ]);
    expect(await cachedAfter((tx) => tx.sessions.noteLastUse([[randomId(), NOW]]))).toEqual([
      account.id,
      other.id,
    ]);
    expect(await cachedAfter((tx) => tx.mfa.failures.claimAttempt(`proof:${account.id}`, NOW))).toEqual([
      account.id,
      other.id,
    ]);
  });

  it("forgets again once the transaction settles, so a read that raced the write cannot put it back", async () => {
    const uow = new StoreUnitOfWork(store, { profileChanged: (userId) => cache.forget(userId) }).scoped(
      MFA_REPOSITORIES,
    );
    await uow.run(async (tx) => {
      await tx.mfa.users.markMobileVerified(account.id, NOW + 3);
      // A read beside the transaction still sees the old row and caches it.
      cache.put(account.id, profile(account.id), cache.snapshot());
      return commit(undefined);
    });
    expect(cache.get(account.id)).toBeUndefined();
  });
});

function randomId(): string {
  return crypto.randomUUID();
}
