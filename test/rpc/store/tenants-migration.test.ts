// The tenants migration on a database that already has accounts: every account and everything
// that belongs to it survives and lands in the `default` tenant; email and username become unique
// per tenant. Run on SQLite (where users is rebuilt) and PostgreSQL.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DataSource } from "typeorm";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_TENANT_ID } from "../../../src/domain/tenants/records.js";
import { openDatabase } from "../../../src/store/data-source.js";
import { Tenants1764000007000 } from "../../../src/store/migrations/1764000007000-tenants.js";
import { migrations } from "../../../src/store/schema.js";
import { forEachDatabase } from "../../helpers/databases.js";

const TENANTS_MIGRATION = "Tenants1764000007000";
/** The migrations that ran before the tenants migration (later ones may need its columns). */
const before = migrations.slice(
  0,
  migrations.findIndex((m) => m.name === TENANTS_MIGRATION),
);

/** Every table that belongs to an account, with how many rows the fixture puts there. */
const CHILD_ROWS: Record<string, number> = {
  sessions: 2,
  refresh_tokens: 2,
  api_keys: 1,
  one_time_tokens: 1,
  mfa_authenticators: 1,
  mfa_recovery_codes: 1,
  mfa_codes: 1,
  mfa_challenges: 1,
  mfa_trusted_devices: 1,
  mfa_step_ups: 1,
  linked_identities: 1,
};

/** Rows of two accounts and of every table that hangs off an account (constants only). */
const FIXTURE = [
  `INSERT INTO users (id, email, username, settings, roles, password_hash, created_at, updated_at) VALUES ('u1', 'ann@example.com', 'ann', '{}', '[]', 'h', 1, 1)`,
  `INSERT INTO users (id, email, username, settings, roles, password_hash, created_at, updated_at) VALUES ('u2', 'bob@example.com', NULL, '{}', '[]', 'h', 1, 1)`,
  `INSERT INTO sessions (id, user_id, amr, created_at, last_used_at, expires_at) VALUES ('s1', 'u1', '[]', 1, 1, 9)`,
  `INSERT INTO sessions (id, user_id, amr, created_at, last_used_at, expires_at) VALUES ('s2', 'u2', '[]', 1, 1, 9)`,
  `INSERT INTO refresh_tokens (id, session_id, token_hash, created_at) VALUES ('r1', 's1', 'h1', 1)`,
  `INSERT INTO refresh_tokens (id, session_id, token_hash, created_at) VALUES ('r2', 's2', 'h2', 1)`,
  `INSERT INTO api_keys (id, user_id, name, prefix, secret_hash, scopes, created_at) VALUES ('k1', 'u1', 'k', 'p', 'h', '[]', 1)`,
  `INSERT INTO one_time_tokens (id, purpose, user_id, token_hash, payload, created_at, expires_at) VALUES ('t1', 'reset', 'u1', 'h', '{}', 1, 9)`,
  `INSERT INTO mfa_authenticators (id, user_id, type, created_at) VALUES ('a1', 'u1', 'totp', 1)`,
  `INSERT INTO mfa_recovery_codes (id, authenticator_id, code_hash) VALUES ('c1', 'a1', 'h')`,
  `INSERT INTO mfa_codes (binding, user_id, code_hash, expires_at, created_at) VALUES ('b1', 'u1', 'h', 9, 1)`,
  `INSERT INTO mfa_challenges (id, token_hash, user_id, options, expires_at, created_at) VALUES ('ch1', 'h', 'u1', '{}', 9, 1)`,
  `INSERT INTO mfa_trusted_devices (id, user_id, token_hash, created_at, expires_at) VALUES ('d1', 'u1', 'h', 1, 9)`,
  `INSERT INTO mfa_step_ups (session_id, user_id, verified_at, valid_until) VALUES ('s1', 'u1', 1, 9)`,
  `INSERT INTO linked_identities (id, user_id, provider, subject, created_at, last_sign_in_at) VALUES ('l1', 'u1', 'google', 'sub', 1, 1)`,
];

const user = (id: string, tenant: string, email: string, username: string | null) =>
  `INSERT INTO users (id, email, username, tenant_id, settings, roles, password_hash, created_at, updated_at) VALUES ('${id}', '${email}', ${username === null ? "NULL" : `'${username}'`}, '${tenant}', '{}', '[]', 'h', 1, 1)`;

const identityRow = (id: string, userId: string, tenant: string) =>
  `INSERT INTO linked_identities (id, user_id, tenant_id, provider, subject, created_at, last_sign_in_at) VALUES ('${id}', '${userId}', '${tenant}', 'google', 'sub', 1, 1)`;

async function databaseBeforeTenants(url: string): Promise<void> {
  const postgres = url.startsWith("postgres");
  const ds = new DataSource(
    postgres
      ? { type: "postgres", url, migrations: before, migrationsTransactionMode: "each" }
      : {
          type: "sqlite",
          database: url.slice("sqlite:".length),
          migrations: before,
          migrationsTransactionMode: "each",
        },
  );
  await ds.initialize();
  await ds.runMigrations({ transaction: "each" });
  for (const sql of FIXTURE) await ds.query(sql);
  await ds.destroy();
}

async function checkMigration(url: string): Promise<void> {
  await databaseBeforeTenants(url);
  const { dataSource, applied } = await openDatabase(url);
  try {
    // The tenants migration and those after it.
    expect(applied).toBe(migrations.length - before.length);
    const tenants = await dataSource.query(`SELECT id, slug, status FROM tenants`);
    expect(tenants).toEqual([{ id: DEFAULT_TENANT_ID, slug: "default", status: "active" }]);
    const users = await dataSource.query(`SELECT id, tenant_id FROM users ORDER BY id`);
    expect(users).toEqual([
      { id: "u1", tenant_id: DEFAULT_TENANT_ID },
      { id: "u2", tenant_id: DEFAULT_TENANT_ID },
    ]);
    for (const [table, rows] of Object.entries(CHILD_ROWS)) {
      const [{ n }] = await dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`);
      expect({ table, rows: Number(n) }).toEqual({ table, rows });
    }
    // Children still cascade from the (rebuilt, on SQLite) users table.
    await dataSource.query(`DELETE FROM users WHERE id = 'u2'`);
    const [{ n: left }] = await dataSource.query(`SELECT COUNT(*) AS n FROM sessions`);
    expect(Number(left)).toBe(1);

    // Unique per tenant: the same email and username in another tenant is another account.
    await dataSource.query(
      `INSERT INTO tenants (id, slug, name, status, created_at, updated_at) VALUES ('t2', 'acme', 'Acme', 'active', 1, 1)`,
    );
    await dataSource.query(user("u3", "t2", "ann@example.com", "ann"));
    await expect(dataSource.query(user("u4", DEFAULT_TENANT_ID, "ann@example.com", null))).rejects.toThrow();
    await expect(dataSource.query(user("u5", "t2", "other@example.com", "ann"))).rejects.toThrow();
    await dataSource.query(user("u6", "t2", "nousername@example.com", null));
    await dataSource.query(user("u7", "t2", "nousername2@example.com", null));
    // Provider identities take their account's tenant and are unique per tenant
    // (1764000008100): the same (provider, subject) may belong to an account in another tenant.
    const [identity] = await dataSource.query(`SELECT tenant_id FROM linked_identities WHERE id = 'l1'`);
    expect(identity.tenant_id).toBe(DEFAULT_TENANT_ID);
    await dataSource.query(identityRow("l2", "u3", "t2"));
    await expect(dataSource.query(identityRow("l3", "u1", DEFAULT_TENANT_ID))).rejects.toThrow();
    // A verified mobile number is unique within its tenant only (1764000008200).
    const mobile = (id: string, tenant: string) =>
      `UPDATE users SET mobile = '+15550100', mobile_verified = true WHERE id = '${id}' AND tenant_id = '${tenant}'`;
    await dataSource.query(mobile("u1", DEFAULT_TENANT_ID));
    await dataSource.query(mobile("u3", "t2"));
    await expect(dataSource.query(mobile("u6", "t2"))).rejects.toThrow();
    // An account must belong to a tenant that exists.
    await expect(dataSource.query(user("u8", "nope", "x@example.com", null))).rejects.toThrow();
    if (dataSource.options.type !== "postgres") {
      expect(await dataSource.query("PRAGMA foreign_key_check")).toEqual([]);
      const [fk] = await dataSource.query("PRAGMA foreign_keys");
      expect(fk.foreign_keys).toBe(1);
    }
  } finally {
    await dataSource.destroy();
  }
}

describe("the tenants migration on SQLite", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("refuses to rebuild users while foreign keys are on, leaving every child row in place", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "authd-tenants-migration-"));
    dirs.push(dir);
    const url = `sqlite:${path.join(dir, "authd.db")}`;
    await databaseBeforeTenants(url);
    const ds = new DataSource({ type: "sqlite", database: url.slice("sqlite:".length) });
    await ds.initialize();
    try {
      const runner = ds.createQueryRunner();
      await runner.query("PRAGMA foreign_keys = ON");
      await runner.startTransaction();
      await expect(new Tenants1764000007000().up(runner)).rejects.toThrow(/foreign keys are on/);
      await runner.rollbackTransaction();
      await runner.release();
      const [{ n }] = await ds.query(`SELECT COUNT(*) AS n FROM sessions`);
      expect(Number(n)).toBe(CHILD_ROWS.sessions);
    } finally {
      await ds.destroy();
    }
  });
});

forEachDatabase("the tenants migration", (database) => {
  it("moves every account into the default tenant and keeps every row that belongs to one", async () => {
    await checkMigration(await database.url());
  });
});
