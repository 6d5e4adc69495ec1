// The tenants domain and its handlers reach the database only through the repositories the domain
// declares and the unit of work: no TypeORM, no store entity, no guarded lookup, no repository
// implementation, no EntityManager bridge.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..", "src");
const FILES = [
  ...fs.readdirSync(path.join(ROOT, "domain/tenants")).map((name) => path.join(ROOT, "domain/tenants", name)),
  path.join(ROOT, "services/admin-service.ts"),
];

const FORBIDDEN: Array<[what: string, pattern: RegExp]> = [
  ["TypeORM", /from "typeorm"/],
  ["a store entity", /store\/entities\//],
  ["the store's guarded lookups", /store\/guard\.js/],
  ["a repository implementation", /from "[^"]*\/store\/repositories\//],
  ["the store's unit of work", /from "[^"]*\/store\/unit-of-work\.js"/],
  ["the EntityManager bridge", /\b(emOf|txOf)\b/],
];

describe("tenants", () => {
  for (const file of FILES) {
    it(`${path.relative(ROOT, file)} reaches persistence only through the repositories the domain declares`, () => {
      const source = fs.readFileSync(file, "utf8");
      expect(FORBIDDEN.filter(([, pattern]) => pattern.test(source)).map(([what]) => what)).toEqual([]);
    });
  }
});
