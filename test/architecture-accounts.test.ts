// The account flows reach the database only through the repositories they declare
// (src/domain/accounts/persistence.ts) and the unit of work: no TypeORM, no store entity, no
// unguarded lookup, no EntityManager bridge. src/store/repositories/ implements them.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const dir = path.resolve(import.meta.dirname, "../src/domain/accounts");
const forbidden = [
  /from "typeorm"/,
  /from "[^"]*\/store\/entities\//,
  /from "[^"]*\/store\/guard\.js"/,
  /from "[^"]*\/store\/repositories\//,
  /from "[^"]*\/store\/unit-of-work\.js"/,
  /\b(emOf|txOf)\(/,
];

describe("the accounts domain", () => {
  const files = fs.readdirSync(dir).filter((name) => name.endsWith(".ts"));

  it.each(files)("%s imports no TypeORM, entity, guard or EntityManager bridge", (name) => {
    const source = fs.readFileSync(path.join(dir, name), "utf8");
    expect(forbidden.filter((pattern) => pattern.test(source)).map(String)).toEqual([]);
  });
});
