// The suite's shape (docs/development.md, "Tests"): every test file sits in the folder of one of
// vitest.config.ts's projects, since a file anywhere else (test/x.test.ts after a merge, say) would
// quietly never run; and a test reaches both databases one way only, forEachDatabase.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import config from "../../vitest.config.js";

const root = path.resolve(import.meta.dirname, "../..");

function testFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(file);
    return entry.name.endsWith(".test.ts") ? [path.relative(root, file)] : [];
  });
}

/** Each project's folder, read from its include pattern ("test/unit/**\/*.test.ts" -> "test/unit/"). */
function projectFolders(): string[] {
  return (config.test?.projects ?? []).flatMap((project) => {
    if (typeof project !== "object" || !("test" in project)) return [];
    return (project.test?.include ?? []).map((pattern) => pattern.replace(/\*\*\/\*\.test\.ts$/, ""));
  });
}

describe("the test suite's layout", () => {
  it("puts every test file in a project's folder", () => {
    const folders = projectFolders();
    expect(folders.sort()).toEqual(["test/reliability/", "test/rpc/", "test/unit/", "test/web/"]);
    const stray = testFiles(path.join(root, "test")).filter((f) => !folders.some((dir) => f.startsWith(dir)));
    expect(stray).toEqual([]);
  });

  it("runs a suite on both databases only through forEachDatabase", () => {
    // describe.each over both, or a loop over both.
    const otherWays = /\[\s*"sqlite",\s*"postgres"\s*\]|\bfor \(const \w+ of \[\s*"sqlite"/;
    expect(otherWays.test('describe.each(["sqlite", "postgres"] as const)("x on %s", (db) => {')).toBe(true);
    expect(otherWays.test('for (const dialect of ["sqlite", "postgres"] as const) {')).toBe(true);
    const self = path.relative(root, import.meta.filename);
    const offenders = testFiles(path.join(root, "test")).filter(
      (f) => f !== self && otherWays.test(fs.readFileSync(path.join(root, f), "utf8")),
    );
    expect(offenders).toEqual([]);
  });
});
