// ConfirmDeletion erases the account: no table, listed from the database's own catalogue, keeps a row
// naming the account (its id, its email, or the ids of its sessions, API keys and factors), on SQLite
// and PostgreSQL. The one exception is audit_events, which keeps the opaque account id and event
// types by design (the IP addresses and user agents are blanked); it is left out of the scan by name.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { SessionService } from "../../../gen/authd/v1/session_pb.js";
import { createDataSource } from "../../../src/store/data-source.js";
import {
  MfaAuthenticatorEntity,
  MfaChallengeEntity,
  MfaCodeEntity,
  MfaFailureEntity,
  MfaRecoveryCodeEntity,
  MfaStepUpEntity,
  MfaTrustedDeviceEntity,
} from "../../../src/store/entities/mfa.js";
import { AccountForeignKeys1764000005300 } from "../../../src/store/migrations/1764000005300-account-foreign-keys.js";
import { migrations } from "../../../src/store/schema.js";
import { type AccountsHarness, PASSWORD, startAccountsHarness, tokenFrom } from "../../helpers/accounts.js";
import { forEachDatabase } from "../../helpers/databases.js";
import type { TestDatabase } from "../../helpers/kit.js";

/** Kept on purpose: the audit trail keeps the opaque account id (see docs/security.md, "Deletion"). */
const KEPT_BY_DESIGN = new Set(["audit_events"]);

async function tableNames(store: TestDatabase): Promise<string[]> {
  const rows: Array<{ name: string }> = await store.transaction((em) =>
    em.query(
      store.dialect === "postgres"
        ? "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        : "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    ),
  );
  return rows.map((r) => r.name).sort();
}

/** The tables (audit_events aside) with a row that contains any of `needles`. */
async function tablesNaming(store: TestDatabase, needles: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const table of await tableNames(store)) {
    if (KEPT_BY_DESIGN.has(table)) continue;
    const rows: unknown[] = await store.transaction((em) => em.query(`SELECT * FROM "${table}"`));
    const text = JSON.stringify(rows).toLowerCase();
    if (needles.some((n) => text.includes(n.toLowerCase()))) found.push(table);
  }
  return found;
}

/** Second-factor rows of every kind, written directly: what is tested here is their erasure. */
async function addSecondFactorRows(store: TestDatabase, userId: string, sessionId: string, now: number) {
  const totpId = randomUUID();
  const smsId = randomUUID();
  await store.transaction(async (em) => {
    const base = { userId, createdAt: now, lastUsedAt: null, lastUsedStep: null };
    await em.insert(MfaAuthenticatorEntity, {
      ...base,
      id: totpId,
      type: "totp",
      active: true,
      secretSealed: "sealed-totp-secret",
      destination: "",
    });
    await em.insert(MfaAuthenticatorEntity, {
      ...base,
      id: smsId,
      type: "sms",
      active: true,
      secretSealed: null,
      destination: "+61491570006",
    });
    await em.insert(MfaRecoveryCodeEntity, {
      id: randomUUID(),
      authenticatorId: totpId,
      codeHash: "x",
      usedAt: null,
    });
    await em.insert(MfaCodeEntity, {
      binding: `challenge:${randomUUID()}:${smsId}`,
      userId,
      codeHash: "h".repeat(64),
      destination: "+61491570006",
      expiresAt: now + 600_000,
      createdAt: now,
    });
    await em.insert(MfaChallengeEntity, {
      id: randomUUID(),
      tokenHash: randomUUID().replace(/-/g, "").padEnd(64, "0"),
      userId,
      options: {
        durationSeconds: null,
        authMethod: "token",
        signOutOtherSessions: false,
        amr: ["pwd"],
        ip: "203.0.113.9",
        userAgent: "victim-browser",
      },
      expiresAt: now + 300_000,
      consumedAt: null,
      createdAt: now,
    });
    await em.insert(MfaTrustedDeviceEntity, {
      id: randomUUID(),
      userId,
      tokenHash: randomUUID().replace(/-/g, "").padEnd(64, "1"),
      userAgent: "victim-browser",
      ipAddress: "203.0.113.9",
      createdAt: now,
      expiresAt: now + 86_400_000,
    });
    await em.insert(MfaStepUpEntity, { sessionId, userId, verifiedAt: now, validUntil: now + 300_000 });
    await em.insert(MfaFailureEntity, {
      failureKey: `authenticator:${totpId}`,
      failures: 2,
      lockedUntil: null,
    });
    await em.insert(MfaFailureEntity, { failureKey: `proof:${userId}`, failures: 1, lockedUntil: null });
  });
  return [totpId, smsId];
}

forEachDatabase("ConfirmDeletion", (database) => {
  let h: AccountsHarness;

  beforeAll(async () => {
    h = await startAccountsHarness(await database.env());
    expect(h.server.db.dialect).toBe(database.kind);
  });
  afterAll(async () => {
    await h?.close();
  });

  /** An account with a row in every table an account can reach; answers every id that names it. */
  async function busyAccount(email: string): Promise<{ accessToken: string; needles: string[] }> {
    await h.signUp(email);
    const first = await h.login(email);
    const second = await h.login(email);
    await h.auth.refresh({ refreshToken: second.refreshToken });
    const auth = h.authed(first.accessToken);
    const userId = (await auth.getCurrentUser({})).user?.id as string;
    const sessions = h.server.client(SessionService, "connect", {
      authorization: `Bearer ${first.accessToken}`,
    });
    const key = await sessions.createApiKey({
      name: "script",
      scopes: ["profile:read"],
      currentPassword: PASSWORD,
    });
    await sessions
      .createApiKey({ name: "x", scopes: ["profile:read"], currentPassword: "not the password" })
      .catch(() => {});
    await auth.updateCurrentUser({ email: `new-${email}`, currentPassword: PASSWORD });
    // The optional profile fields are personal data too: values found nowhere else.
    const marker = email.replace(/[^a-z0-9]/g, "");
    await auth.updateCurrentUser({
      idNumber: `ID-${marker}`,
      externalCustomerId: `cust-${marker}`,
      avatarUrl: `https://cdn.example.com/${marker}.png`,
      postalAddress: { lines: [`1 ${marker} Street`], country: "GB" },
    });
    const sessionIds = (await sessions.listSessions({})).sessions.map((s) => s.id);
    const factorIds = await addSecondFactorRows(h.server.db, userId, first.sessionId, h.server.clock.now());
    return {
      accessToken: first.accessToken,
      needles: [
        userId,
        email,
        `new-${email}`,
        key.apiKey?.id as string,
        ...sessionIds,
        ...factorIds,
        `ID-${marker}`,
        `cust-${marker}`,
        `${marker}.png`,
        `${marker} Street`,
      ],
    };
  }

  it("leaves no row naming the account in any table, and leaves other accounts alone", async () => {
    const victim = await busyAccount(`erase-${database.kind}@example.com`);
    const bystander = await busyAccount(`stays-${database.kind}@example.com`);
    const store = h.server.db;
    expect(await tableNames(store)).toEqual(
      expect.arrayContaining(["users", "sessions", "refresh_tokens", "api_keys", "mfa_authenticators"]),
    );
    const before = await tablesNaming(store, victim.needles);
    const bystanderBefore = await tablesNaming(store, bystander.needles);
    expect(before).toEqual(
      expect.arrayContaining([
        "users",
        "sessions",
        "api_keys",
        "one_time_tokens",
        "mfa_authenticators",
        "mfa_recovery_codes",
        "mfa_codes",
        "mfa_challenges",
        "mfa_trusted_devices",
        "mfa_step_ups",
        "mfa_failures",
      ]),
    );

    await h.authed(victim.accessToken).requestDeletion({ currentPassword: PASSWORD });
    const token = tokenFrom(await h.mailTo(`erase-${database.kind}@example.com`, /deletion/i));
    await h.auth.confirmDeletion({ token });
    await h.mailTo(`erase-${database.kind}@example.com`, /was deleted/i);

    expect(await tablesNaming(store, victim.needles)).toEqual([]);
    expect(await tablesNaming(store, bystander.needles)).toEqual(bystanderBefore);
  });

  it("refresh tokens of the erased sessions are gone, not just unusable", async () => {
    const email = `tokens-${database.kind}@example.com`;
    await h.signUp(email);
    const tokens = await h.login(email);
    const countRefreshTokens = () =>
      h.server.db.transaction(async (em) => {
        const [row] = await em.query(
          `SELECT COUNT(*) AS n FROM refresh_tokens WHERE session_id = ${h.server.db.param(1)}`,
          [tokens.sessionId],
        );
        return Number(row.n);
      });
    expect(await countRefreshTokens()).toBe(1);
    await h.authed(tokens.accessToken).requestDeletion({ currentPassword: PASSWORD });
    await h.auth.confirmDeletion({ token: tokenFrom(await h.mailTo(email, /deletion/i)) });
    expect(await countRefreshTokens()).toBe(0);
  });
});

forEachDatabase("the foreign-key migration", (database) => {
  it("upgrades a database holding rows of deleted accounts, and keeps indexes and unique keys", async () => {
    const url = await database.url();
    const timestamp = (m: (typeof migrations)[number]) => Number(/\d{13}/.exec(m.name)?.[0]);
    const open = async (upTo: number) => {
      const source = createDataSource(url);
      source.setOptions({ migrations: migrations.filter((m) => timestamp(m) <= upTo) });
      await source.initialize();
      await source.runMigrations({ transaction: "each" });
      return source;
    };
    const older = await open(timestamp(AccountForeignKeys1764000005300) - 1);
    const p = (n: number) => (database.kind === "postgres" ? `$${n}` : "?");
    // A session and an API key of an account deleted before the migration, and a live account's.
    await older.query(
      `INSERT INTO users (id, email, settings, roles, password_hash, created_at, updated_at) VALUES (${p(1)}, 'live@example.com', '{}', '[]', 'x', 0, 0)`,
      ["live-user"],
    );
    for (const [id, user] of [
      ["s-orphan", "gone-user"],
      ["s-live", "live-user"],
    ]) {
      await older.query(
        `INSERT INTO sessions (id, user_id, amr, created_at, last_used_at, expires_at) VALUES (${p(1)}, ${p(2)}, '[]', 0, 0, 1)`,
        [id, user],
      );
      await older.query(
        `INSERT INTO refresh_tokens (id, session_id, token_hash, created_at) VALUES (${p(1)}, ${p(2)}, ${p(3)}, 0)`,
        [`r-${id}`, id, `hash-${id}`],
      );
    }
    await older.destroy();

    const upgraded = await open(Number.POSITIVE_INFINITY);
    const ids = (rows: Array<{ id: string }>) => rows.map((r) => r.id);
    expect(ids(await upgraded.query("SELECT id FROM sessions"))).toEqual(["s-live"]);
    expect(ids(await upgraded.query("SELECT id FROM refresh_tokens"))).toEqual(["r-s-live"]);
    // The unique token hash survived the SQLite table rebuild...
    await expect(
      upgraded.query(
        `INSERT INTO refresh_tokens (id, session_id, token_hash, created_at) VALUES ('r2', 's-live', 'hash-s-live', 0)`,
      ),
    ).rejects.toThrow(/unique|UNIQUE/);
    // ...and so did the index by account.
    const indexes: Array<{ name: string }> = await upgraded.query(
      database.kind === "postgres"
        ? "SELECT indexname AS name FROM pg_indexes WHERE tablename = 'sessions'"
        : "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sessions'",
    );
    expect(indexes.map((i) => i.name)).toContain("idx_sessions_user");
    // Deleting the live account now takes its sessions and their refresh tokens with it.
    await upgraded.query(`DELETE FROM users WHERE id = 'live-user'`);
    expect(await upgraded.query("SELECT id FROM sessions")).toEqual([]);
    expect(await upgraded.query("SELECT id FROM refresh_tokens")).toEqual([]);
    await upgraded.destroy();
  });
});
