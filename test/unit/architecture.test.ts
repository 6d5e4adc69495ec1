// The layering issue 9 asks for, checked on every source file rather than on a list that must grow:
// - the domain (src/domain/) reaches persistence only through the repositories it declares and the
//   unit of work: no TypeORM and nothing of src/store/ (entities, guarded lookups, repositories, the
//   store's unit of work); it knows neither the Connect context (src/context.ts), nor how notices are
//   rendered (src/delivery/), nor any configuration module (each feature declares the settings it
//   needs and the wiring passes them), nor the logger module or node:http(s) (logging and HTTP reach
//   it through ports), nor the outbound HTTP implementation (src/outbound/: it asks through the
//   OutboundHttp port); it calls neither fetch() nor a timer (periodic work is a scheduler job), and
//   no use case sees every repository (each feature's unit of work holds the list it declares);
// - outside src/outbound/ nothing calls fetch(): every request to the outside goes through the
//   outbound port and its rule (https, public addresses, no redirects, bounded);
// - the wiring (src/wiring/) scopes every unit of work by a list the domain declares, and every list
//   declared is wired;
// - handlers (src/services/) map domain records, never store entities, and never open a
//   transaction: the use case they call does; a feature with a face (FACED) they reach only through
//   it (domain/<feature>/index.ts);
// - interceptors (src/interceptors/) import no service;
// - outside src/store/ nothing imports TypeORM (the store hands out repositories, never an EntityManager).
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import * as persistence from "../../src/domain/persistence.js";

const SRC = path.resolve(import.meta.dirname, "../..", "src");

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
  ["a configuration module", (i) => /^config[^/\\]*\.ts$/.test(i.target ?? "")],
  ["the logger module", (i) => i.target === "logger.ts"],
  ["node:http or node:https", (i) => /^(node:)?https?2?$/.test(i.specifier)],
  ["the outbound HTTP implementation", under("outbound/")],
];

/** What a domain file's code (its comments aside) must not do: each pattern with what it means. */
const DOMAIN_CODE_RULES: Array<[what: string, pattern: RegExp]> = [
  ["calls fetch() (HTTP reaches the domain through a port)", /(?<![\w.$])fetch\s*\(/],
  ["sets a timer (periodic work is a scheduler job)", /(?<![\w.$])(setTimeout|setInterval)\s*\(/],
  [
    "names every repository (a use case sees only its feature's list)",
    /\b(UnitOfWork|Transaction|Reads)<\s*Repositories\s*>/,
  ],
];

/** `source` without its comments (line comments only where `//` starts a comment, not a URL). */
const withoutComments = (source: string) =>
  source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|\s)\/\/.*$/gm, "$1");

/** Whether `source`'s code (its comments aside) calls the global fetch(), which no rule bounds. */
const callsFetch = (source: string) => /(?<![\w.$])fetch\s*\(/.test(withoutComments(source));

/** What a domain file's code does that DOMAIN_CODE_RULES refuse. */
function refusedCode(source: string): string[] {
  const code = withoutComments(source);
  return DOMAIN_CODE_RULES.filter(([, pattern]) => pattern.test(code)).map(([what]) => what);
}

/** The arguments of the wiring's `unitOfWork(...)` calls that are not a list the domain declares. */
function unscopedUnitsOfWork(source: string): string[] {
  return [...withoutComments(source).matchAll(/\bunitOfWork\(([^)]*)\)/g)]
    .map((m) => (m[1] as string).trim())
    .filter((argument) => !/^[A-Z][A-Z_]*_REPOSITORIES$/.test(argument));
}

/** The features whose handlers reach them only through their face, domain/<feature>/index.ts. */
const FACED = ["accounts", "administration", "identities", "mfa", "sessions", "tenants"];

/**
 * What else of the domain a handler may name: the error catalogue, the caller, the shared request
 * types (ClientInfo, LoginOptions, the second factor's views) and paging. Anything else is a
 * feature's insides, or a module that should have a face.
 */
const SHARED_DOMAIN_TYPES = ["domain/errors.ts", "domain/callers.ts", "domain/ports.ts", "domain/paging.ts"];

/** A domain import that is neither a feature's face nor one of the shared types. */
const notAFace = (imported: Import) =>
  (imported.target?.startsWith("domain/") ?? false) &&
  !SHARED_DOMAIN_TYPES.includes(imported.target as string) &&
  !FACED.some((feature) => imported.target === `domain/${feature}/index.ts`);

/** Whether `imported` is a file of `feature` other than its face. */
const behindFace = (feature: string, imported: Import) =>
  (imported.target?.startsWith(`domain/${feature}/`) ?? false) &&
  imported.target !== `domain/${feature}/index.ts`;

const HANDLER_RULES: Rule[] = [
  ["TypeORM", (i) => i.specifier === "typeorm" || i.specifier.startsWith("typeorm/")],
  ["a store entity", under("store/entities/")],
  ["the store", under("store/")],
  ["the unit of work", (i) => i.target === "domain/unit-of-work.ts"],
  ["a feature's insides (import its face, index.ts)", (i) => FACED.some((f) => behindFace(f, i))],
  ["a domain module without a face", (i) => !FACED.some((f) => behindFace(f, i)) && notAFace(i)],
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
const wiringFiles = walk(path.join(SRC, "wiring"));
const interceptorFiles = walk(path.join(SRC, "interceptors"));
const outsideStore = walk(SRC).filter((file) => !rel(file).startsWith(`store${path.sep}`));
const outsideOutbound = walk(SRC).filter((file) => !rel(file).startsWith(`outbound${path.sep}`));

describe("the architecture", () => {
  it("walks the domain, the handlers and the interceptors", () => {
    const seen = [...domainFiles, ...handlerFiles, ...interceptorFiles].map(rel);
    expect(seen).toEqual(
      expect.arrayContaining([
        "domain/sessions/index.ts",
        "domain/accounts/login.ts",
        "domain/mfa/index.ts",
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
      'import type { Logger } from "../logger.js";',
      'import http from "node:http";',
      'import { createGuardedHttp } from "../outbound/guarded-http.js";',
    ].join("\n");
    expect(broken(file, DOMAIN_RULES, source).map((what) => what.split(" (")[0])).toEqual([
      "TypeORM",
      "a store entity",
      "the store's guarded lookups",
      "anything else of the store",
      "the Connect context",
      "the delivery templates",
      "a configuration module",
      "the logger module",
      "node:http or node:https",
      "the outbound HTTP implementation",
    ]);
    // Any configuration module, not only the whole Config; https as well as http.
    const nested = path.join(SRC, "domain", "identities", "example.ts");
    expect(broken(nested, DOMAIN_RULES, 'import type { X } from "../../config-oidc.js";')).toHaveLength(1);
    expect(broken(file, DOMAIN_RULES, 'import type { ParsedSize } from "../config.js";')).toHaveLength(1);
    expect(broken(file, DOMAIN_RULES, 'import https from "https";')).toHaveLength(1);
    expect(broken(file, DOMAIN_RULES, 'import type { Logger } from "./ports.js";')).toEqual([]);
    const handler = path.join(SRC, "services", "example.ts");
    expect(OPENS_A_TRANSACTION.test("await this.store.transaction((em) => x)")).toBe(true);
    expect(OPENS_A_TRANSACTION.test("await deps.uow.run(async (tx) => commit(1))")).toBe(true);
    expect(
      broken(handler, HANDLER_RULES, 'import { commit } from "../domain/unit-of-work.js";').map(
        (what) => what.split(" (")[0],
      ),
    ).toEqual(["the unit of work", "a domain module without a face"]);
    expect(
      broken(handler, HANDLER_RULES, 'import { linkIdentity } from "../domain/identities/linking.js";'),
    ).toHaveLength(1);
    expect(
      broken(handler, HANDLER_RULES, 'import type { Identities } from "../domain/identities/index.js";'),
    ).toEqual([]);
    // Every feature's insides, whichever feature; a domain module outside any feature; the shared
    // types and the faces pass.
    for (const inside of [
      "accounts/login.js",
      "administration/create-user.js",
      "mfa/totp.js",
      "sessions/api-keys.js",
      "tenants/gate.js",
    ])
      expect(broken(handler, HANDLER_RULES, `import { x } from "../domain/${inside}";`)).toEqual([
        `a feature's insides (import its face, index.ts) (../domain/${inside})`,
      ]);
    expect(broken(handler, HANDLER_RULES, 'import { x } from "../domain/reauthentication.js";')).toEqual([
      "a domain module without a face (../domain/reauthentication.js)",
    ]);
    const mapper = path.join(SRC, "services", "mapping", "example.ts");
    expect(
      broken(
        mapper,
        HANDLER_RULES,
        [
          'import type { Mfa } from "../../domain/mfa/index.js";',
          'import { DomainError } from "../../domain/errors.js";',
          'import type { Caller } from "../../domain/callers.js";',
          'import type { ClientInfo } from "../../domain/ports.js";',
          'import type { Page } from "../../domain/paging.js";',
        ].join("\n"),
      ),
    ).toEqual([]);
    const interceptor = path.join(SRC, "interceptors", "example.ts");
    expect(
      broken(interceptor, INTERCEPTOR_RULES, 'import { x } from "../services/mfa-service.js";'),
    ).toHaveLength(1);
  });

  it("catches each kind of forbidden code in the domain and each unscoped unit of work in the wiring", () => {
    expect(refusedCode('const res = await fetch(url, { method: "POST" });')).toHaveLength(1);
    expect(refusedCode("this.timer = setInterval(() => sweep(), 1000);")).toHaveLength(1);
    expect(refusedCode("const t = setTimeout(done, 5);")).toHaveLength(1);
    expect(refusedCode("constructor(private readonly uow: UnitOfWork<Repositories>) {}")).toHaveLength(1);
    expect(refusedCode("async create(tx: Transaction<Repositories>) {}")).toHaveLength(1);
    // A port, a method that merely ends in "fetch", a comment, and a narrow unit of work all pass.
    expect(refusedCode("await this.fetchJson(url); await deps.fetch(url); this.refetch();")).toEqual([]);
    expect(refusedCode("// never fetch(url) here; no setTimeout(x) either\nconst a = 1;")).toEqual([]);
    expect(callsFetch("const response = await fetch(url, init);")).toBe(true);
    expect(callsFetch("await http.request(req); this.refetch(); // not fetch(url)")).toBe(false);
    expect(
      refusedCode('uow: UnitOfWork<AccountRepositories>; tx: Transaction<Pick<Repositories, "x">>'),
    ).toEqual([]);
    expect(unscopedUnitsOfWork('const uow = infra.unitOfWork(["accounts", "audit"]);')).toEqual([
      '["accounts", "audit"]',
    ]);
    expect(unscopedUnitsOfWork("const uow = infra.unitOfWork(ACCOUNT_REPOSITORIES);")).toEqual([]);
  });

  describe("the domain reaches persistence only through its repositories and knows no transport", () => {
    it.each(domainFiles.map(rel))("%s", (file) => {
      expect(broken(path.join(SRC, file), DOMAIN_RULES)).toEqual([]);
    });
  });

  describe("the domain's code calls no fetch() and no timer, and no use case sees every repository", () => {
    it.each(domainFiles.map(rel))("%s", (file) => {
      expect(refusedCode(fs.readFileSync(path.join(SRC, file), "utf8"))).toEqual([]);
    });
  });

  describe("outside src/outbound/ nothing calls fetch(): every request to the outside follows its rule", () => {
    it.each(outsideOutbound.map(rel))("%s", (file) => {
      expect(callsFetch(fs.readFileSync(path.join(SRC, file), "utf8"))).toBe(false);
    });
  });

  describe("each feature's unit of work is scoped by the list its persistence declares", () => {
    it.each(wiringFiles.map(rel))("%s scopes every unit of work by a declared list", (file) => {
      expect(unscopedUnitsOfWork(fs.readFileSync(path.join(SRC, file), "utf8"))).toEqual([]);
    });

    it("wires every list the domain declares", () => {
      const lists = Object.keys(persistence).filter((name) => name.endsWith("_REPOSITORIES"));
      expect(lists).toEqual(expect.arrayContaining(["SESSION_REPOSITORIES", "ACCOUNT_REPOSITORIES"]));
      const wiring = wiringFiles.map((file) => fs.readFileSync(file, "utf8")).join("\n");
      expect(lists.filter((name) => !new RegExp(`\\bunitOfWork\\(${name}\\)`).test(wiring))).toEqual([]);
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
