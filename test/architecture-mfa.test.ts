// The second factor reaches the database only through the repositories it declares
// (src/domain/mfa/persistence.ts) and the unit of work: no TypeORM, no store entity, no unguarded
// lookup, no EntityManager bridge. Its handlers map domain records, never store entities.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const src = path.resolve(import.meta.dirname, "../src");
const forbidden = [
  /from "typeorm"/,
  /from "[^"]*\/store\/entities\//,
  /from "[^"]*\/store\/guard\.js"/,
  /from "[^"]*\/store\/repositories\//,
  /from "[^"]*\/store\/unit-of-work\.js"/,
  /from "[^"]*\/store\/store\.js"/,
  /\b(emOf|txOf)\(/,
];

const domainFiles = fs
  .readdirSync(path.join(src, "domain/mfa"))
  .filter((name) => name.endsWith(".ts"))
  .map((name) => `domain/mfa/${name}`);
const serviceFiles = ["services/mfa-service.ts", "services/mfa-mappers.ts"];

describe("the second-factor domain and its handlers", () => {
  it.each([...domainFiles, ...serviceFiles])(
    "%s imports no TypeORM, store entity, guard, store or EntityManager bridge",
    (file) => {
      const source = fs.readFileSync(path.join(src, file), "utf8");
      expect(forbidden.filter((pattern) => pattern.test(source)).map(String)).toEqual([]);
    },
  );
});
