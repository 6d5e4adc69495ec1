// The one way to run tests on both databases: `forEachDatabase(name, (database) => { ... })` runs
// the same block twice, as "<name> on SQLite" and "<name> on PostgreSQL", each block asking
// `database` for fresh, empty databases of its kind and dropping them when it ends. The suite always
// has PostgreSQL (global-postgres.ts), so neither half is ever skipped.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe } from "vitest";
import { createTestDatabase } from "./postgres.js";

export type DatabaseKind = "sqlite" | "postgres";

export interface Database {
  kind: DatabaseKind;
  /** "SQLite" or "PostgreSQL", as the block's name says. */
  name: string;
  /**
   * authd's environment for a fresh, empty database of this kind: nothing on SQLite (the server's
   * own file in its AUTHD_DATA_DIR), AUTHD_DATABASE_URL on PostgreSQL. Each call, another database.
   */
  env(): Promise<Record<string, string>>;
  /** A fresh, empty database's URL: `sqlite:` and a file in a folder of its own, or PostgreSQL's. */
  url(): Promise<string>;
}

const NAMES: Record<DatabaseKind, string> = { sqlite: "SQLite", postgres: "PostgreSQL" };

export function forEachDatabase(name: string, suite: (database: Database) => void): void {
  for (const kind of ["sqlite", "postgres"] as const) {
    describe(`${name} on ${NAMES[kind]}`, () => {
      const drops: Array<() => Promise<void>> = [];
      // Registered before the block's own hooks, so it runs after them (vitest runs after-hooks
      // in reverse): the servers the block started are closed before their database is dropped.
      afterAll(async () => {
        for (const drop of drops.splice(0).reverse()) await drop();
      });
      const url = async (): Promise<string> => {
        if (kind === "postgres") {
          const db = await createTestDatabase();
          drops.push(db.drop);
          return db.url;
        }
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "authd-db-"));
        drops.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
        return `sqlite:${path.join(dir, "authd.db")}`;
      };
      suite({
        kind,
        name: NAMES[kind],
        env: async (): Promise<Record<string, string>> =>
          kind === "postgres" ? { AUTHD_DATABASE_URL: await url() } : {},
        url,
      });
    });
  }
}
