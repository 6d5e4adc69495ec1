// The layering issue 9 asks for, checked on every source file rather than on a list that must grow:
// - the domain (src/domain/) reaches persistence only through the repositories it declares and the
//   unit of work: no TypeORM and nothing of src/store/ (entities, guarded lookups, repositories, the
//   store's unit of work); it knows neither the Connect context (src/context.ts), nor how notices are
//   rendered (src/delivery/), nor the whole Config (each feature takes the settings it needs), nor
//   the outbound HTTP implementation (src/outbound/: it asks through the OutboundHttp port);
// - handlers (src/services/) map domain records, never store entities, and never open a
//   transaction: the use case they call does;
// - interceptors (src/interceptors/) import no service;
// - outside src/store/ nothing imports TypeORM (the store hands out repositories, never an EntityManager).
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const SRC = path.resolve(import.meta.dirname, "..", "src");

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return walk(full);
    return entry.name.endsWith(".ts") ? [full] : [];
  });
}

interface Import {
  /** The specifier as written ("typeorm", "../store/guard.js"). */
  specifier: string;
  /** For a relative specifier, the imported file relative to src/ ("store/guard.ts"). */
  target: string | null;
  /** The names it imports ("Config", "type Principal" counts as "Principal"). */
  names: string[];
}

function importsOf(file: string, source: string): Import[] {
  const found: Import[] = [];
  const pattern = /(?:import|export)\s+(type\s+)?([^;]*?)\s*from\s*"([^"]+)"|import\(\s*"([^"]+)"\s*\)/g;
  for (const match of source.matchAll(pattern)) {
    const specifier = (match[3] ?? match[4]) as string;
    const clause = match[2] ?? "";
    const names = [
      ...clause.matchAll(/(?:^|[{,\s])(?:type\s+)?([A-Za-z_$][\w$]*)(?=\s*(?:,|}|as\b|$))/g),
    ].map((m) => m[1] as string);
    const target = specifier.startsWith(".")
      ? path.relative(SRC, path.resolve(path.dirname(file), specifier)).replace(/\.js$/, ".ts")
      : null;
    found.push({ specifier, target, names });
  }
  return found;
}

type Rule = [what: string, refuses: (imported: Import) => boolean];

const under = (prefix: string) => (imported: Import) => imported.target?.startsWith(prefix) ?? false;

const DOMAIN_RULES: Rule[] = [
  ["TypeORM", (i) => i.specifier === "typeorm" || i.specifier.startsWith("typeorm/")],
  ["a store entity", under("store/entities/")],
  ["the store's guarded lookups", (i) => i.target === "store/guard.ts"],
  ["a repository implementation", under("store/repositories/")],
  ["the store's unit of work", (i) => i.target === "store/unit-of-work.ts"],
  ["anything else of the store", under("store/")],
  ["the Connect context", (i) => i.target === "context.ts"],
  ["the delivery templates", (i) => i.target === "delivery/templates.ts"],
  ["the whole Config", (i) => i.target === "config.ts" && i.names.includes("Config")],
  ["the outbound HTTP implementation", under("outbound/")],
];

const HANDLER_RULES: Rule[] = [
  ["TypeORM", (i) => i.specifier === "typeorm" || i.specifier.startsWith("typeorm/")],
  ["a store entity", under("store/entities/")],
  ["the store", under("store/")],
  ["the unit of work", (i) => i.target === "domain/unit-of-work.ts"],
];

/** Outside src/store/ nothing reaches TypeORM: the store hands out repositories, never an EntityManager. */
const OUTSIDE_STORE_RULES: Rule[] = [
  ["TypeORM", (i) => i.specifier === "typeorm" || i.specifier.startsWith("typeorm/")],
];

const INTERCEPTOR_RULES: Rule[] = [["a service", under("services/")]];

/** What a handler's source does to open a transaction itself (rather than calling a use case). */
const OPENS_A_TRANSACTION = /\.transaction\(|\buow\b|\.run\(\s*(async\s*)?\(\s*tx\b/;

/** The rules `file` breaks, each with the imports that break it. */
function broken(file: string, rules: Rule[], source = fs.readFileSync(file, "utf8")): string[] {
  const imports = importsOf(file, source);
  return rules.flatMap(([what, refuses]) => {
    const offending = imports.filter(refuses).map((i) => i.specifier);
    return offending.length > 0 ? [`${what} (${offending.join(", ")})`] : [];
  });
}

const rel = (file: string) => path.relative(SRC, file);
const domainFiles = walk(path.join(SRC, "domain"));
const handlerFiles = walk(path.join(SRC, "services"));
const interceptorFiles = walk(path.join(SRC, "interceptors"));
const outsideStore = walk(SRC).filter((file) => !rel(file).startsWith(`store${path.sep}`));

describe("the architecture", () => {
  it("walks the domain, the handlers and the interceptors", () => {
    const seen = [...domainFiles, ...handlerFiles, ...interceptorFiles].map(rel);
    expect(seen).toEqual(
      expect.arrayContaining([
        "domain/sessions.ts",
        "domain/accounts/login.ts",
        "domain/mfa/mfa.ts",
        "domain/identities/sign-in.ts",
        "services/mfa-service.ts",
        "interceptors/authentication.ts",
      ]),
    );
  });

  it("catches each kind of forbidden import (the checks are not vacuous)", () => {
    const file = path.join(SRC, "domain", "example.ts");
    const source = [
      'import { type EntityManager } from "typeorm";',
      'import { UserEntity } from "../store/entities/user.js";',
      'import { findOneStrict } from "./../store/guard.js";',
      'import { type Principal } from "../context.js";',
      'import type { Templates } from "../delivery/templates.js";',
      'import type { Config, ParsedSize } from "../config.js";',
      'import { createGuardedHttp } from "../outbound/guarded-http.js";',
    ].join("\n");
    expect(broken(file, DOMAIN_RULES, source).map((what) => what.split(" (")[0])).toEqual([
      "TypeORM",
      "a store entity",
      "the store's guarded lookups",
      "anything else of the store",
      "the Connect context",
      "the delivery templates",
      "the whole Config",
      "the outbound HTTP implementation",
    ]);
    expect(broken(file, DOMAIN_RULES, 'import type { ParsedSize } from "../config.js";')).toEqual([]);
    const handler = path.join(SRC, "services", "example.ts");
    expect(OPENS_A_TRANSACTION.test("await this.store.transaction((em) => x)")).toBe(true);
    expect(OPENS_A_TRANSACTION.test("await deps.uow.run(async (tx) => commit(1))")).toBe(true);
    expect(
      broken(handler, HANDLER_RULES, 'import { commit } from "../domain/unit-of-work.js";'),
    ).toHaveLength(1);
    const interceptor = path.join(SRC, "interceptors", "example.ts");
    expect(
      broken(interceptor, INTERCEPTOR_RULES, 'import { x } from "../services/mfa-service.js";'),
    ).toHaveLength(1);
  });

  describe("the domain reaches persistence only through its repositories and knows no transport", () => {
    it.each(domainFiles.map(rel))("%s", (file) => {
      expect(broken(path.join(SRC, file), DOMAIN_RULES)).toEqual([]);
    });
  });

  describe("a handler maps domain records and opens no transaction", () => {
    it.each(handlerFiles.map(rel))("%s", (file) => {
      const source = fs.readFileSync(path.join(SRC, file), "utf8");
      const found = broken(path.join(SRC, file), HANDLER_RULES, source);
      if (OPENS_A_TRANSACTION.test(source)) found.push("opens a transaction");
      expect(found).toEqual([]);
    });
  });

  describe("an interceptor imports no service", () => {
    it.each(interceptorFiles.map(rel))("%s", (file) => {
      expect(broken(path.join(SRC, file), INTERCEPTOR_RULES)).toEqual([]);
    });
  });

  describe("outside src/store/ nothing imports TypeORM", () => {
    it.each(outsideStore.map(rel))("%s", (file) => {
      expect(broken(path.join(SRC, file), OUTSIDE_STORE_RULES)).toEqual([]);
    });
  });
});
