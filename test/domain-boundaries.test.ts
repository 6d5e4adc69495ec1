// The domain owns its unit of work and talks to repositories it declares: the features already
// moved behind them reach no TypeORM, no store entity, no guarded lookup and no EntityManager
// bridge. A feature joins this list once it has moved; the list only grows.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..", "src");

const MOVED = [
  "domain/sessions.ts",
  "domain/api-keys.ts",
  "domain/identities",
  "domain/one-time-tokens.ts",
  "domain/signing-keys.ts",
  "domain/after-reply.ts",
  "services/identity-handlers.ts",
];

function filesOf(entry: string): string[] {
  const full = path.join(ROOT, entry);
  if (!fs.statSync(full).isDirectory()) return [full];
  return fs
    .readdirSync(full)
    .filter((name) => name.endsWith(".ts"))
    .map((name) => path.join(full, name));
}

const FORBIDDEN: Array<[what: string, pattern: RegExp]> = [
  ["TypeORM", /from "typeorm"/],
  ["a store entity", /store\/entities\//],
  ["the store's guarded lookups", /store\/guard\.js/],
  ["the EntityManager bridge", /\b(emOf|txOf)\b/],
];

describe("features behind repositories", () => {
  for (const file of MOVED.flatMap(filesOf)) {
    it(`${path.relative(ROOT, file)} reaches persistence only through the repositories the domain declares`, () => {
      const source = fs.readFileSync(file, "utf8");
      const found = FORBIDDEN.filter(([, pattern]) => pattern.test(source)).map(([what]) => what);
      expect(found).toEqual([]);
    });
  }
});
