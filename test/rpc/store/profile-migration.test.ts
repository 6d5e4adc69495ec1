// Migration 1764000008000 adds the profile columns to a database that already holds accounts, with
// ALTER TABLE ... ADD COLUMN only: on SQLite a rebuilt users table (drop and copy) would cascade to
// every row that references an account. Existing accounts keep their rows and get empty fields.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createDataSource } from "../../../src/store/data-source.js";
import { Profile1764000008000 } from "../../../src/store/migrations/1764000008000-profile.js";
import { migrations } from "../../../src/store/schema.js";
import { forEachDatabase } from "../../helpers/databases.js";

/** Every account belongs to a tenant since 1764000007000; older ones to `default`. */
const DEFAULT_TENANT_ID = "00000000-0000-0000-0000-000000000000";
const timestamp = (m: (typeof migrations)[number]) => Number(/\d{13}/.exec(m.name)?.[0]);

forEachDatabase("the profile migration", (database) => {
  it("keeps every account and the rows that reference it, and gives old accounts empty fields", async () => {
    const url = await database.url();
    const open = async (upTo: number) => {
      const source = createDataSource(url);
      source.setOptions({ migrations: migrations.filter((m) => timestamp(m) <= upTo) });
      await source.initialize();
      await source.runMigrations({ transaction: "each" });
      return source;
    };
    const p = (n: number) => (database.kind === "postgres" ? `$${n}` : "?");
    const older = await open(timestamp(Profile1764000008000) - 1);
    await older.query(
      `INSERT INTO users (id, email, tenant_id, settings, roles, password_hash, created_at, updated_at) VALUES (${p(1)}, 'old@example.com', ${p(2)}, '{}', '[]', 'x', 0, 0)`,
      ["old-user", DEFAULT_TENANT_ID],
    );
    await older.query(
      `INSERT INTO sessions (id, user_id, amr, created_at, last_used_at, expires_at) VALUES (${p(1)}, ${p(2)}, '[]', 0, 0, 1)`,
      ["old-session", "old-user"],
    );
    await older.query(
      `INSERT INTO refresh_tokens (id, session_id, token_hash, created_at) VALUES (${p(1)}, ${p(2)}, ${p(3)}, 0)`,
      ["old-refresh", "old-session", "old-hash"],
    );
    await older.destroy();

    const current = await open(Number.MAX_SAFE_INTEGER);
    const [user] = await current.query(
      `SELECT email, birth_date, nationality, postal_address, avatar_url, last_sign_in_at, accepted_terms_version, terms_accepted_at FROM users WHERE id = ${p(1)}`,
      ["old-user"],
    );
    expect(user).toEqual({
      email: "old@example.com",
      birth_date: "",
      nationality: "",
      postal_address: null,
      avatar_url: "",
      last_sign_in_at: null,
      accepted_terms_version: "",
      terms_accepted_at: null,
    });
    const sessions = await current.query(`SELECT id FROM sessions WHERE user_id = ${p(1)}`, ["old-user"]);
    expect(sessions).toEqual([{ id: "old-session" }]);
    const tokens = await current.query(`SELECT id FROM refresh_tokens WHERE session_id = ${p(1)}`, [
      "old-session",
    ]);
    expect(tokens).toEqual([{ id: "old-refresh" }]);
    await current.destroy();
  });
});

describe("the profile migration's source", () => {
  it("only adds columns (never TypeORM's addColumn, which rebuilds a SQLite table)", () => {
    const source = fs.readFileSync(
      path.join(import.meta.dirname, "../../../src/store/migrations/1764000008000-profile.ts"),
      "utf8",
    );
    expect(source).not.toMatch(/\.(addColumn|addColumns|changeColumn|dropColumn|createTable)\(/);
    expect(source).toMatch(/ALTER TABLE "users" ADD COLUMN/);
  });
});
