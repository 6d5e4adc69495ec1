// Provider sign-in and linked identities, the emailed single-use tokens, the signing keys and the work
// done after the reply (with sessions and API keys, the model they followed) reach the database only
// through the repositories the domain declares and the unit of work: no TypeORM, no store entity, no
// guarded lookup, no repository implementation, no EntityManager bridge.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..", "src");

const MOVED = [
  "domain/sessions.ts",
  "domain/api-keys.ts",
  "domain/identities",
  "domain/one-time-tokens.ts",
  "domain/one-time-token-persistence.ts",
  "domain/signing-keys.ts",
  "domain/signing-key-persistence.ts",
  "domain/after-reply.ts",
  "domain/after-reply-persistence.ts",
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
  ["a repository implementation", /from "[^"]*\/store\/repositories\//],
  ["the store's unit of work", /from "[^"]*\/store\/unit-of-work\.js"/],
  ["the EntityManager bridge", /\b(emOf|txOf)\b/],
];

describe("identities, one-time tokens, signing keys, work after the reply", () => {
  for (const file of MOVED.flatMap(filesOf)) {
    it(`${path.relative(ROOT, file)} reaches persistence only through the repositories the domain declares`, () => {
      const source = fs.readFileSync(file, "utf8");
      const found = FORBIDDEN.filter(([, pattern]) => pattern.test(source)).map(([what]) => what);
      expect(found).toEqual([]);
    });
  }
});
