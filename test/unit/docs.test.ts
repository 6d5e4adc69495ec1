// The generated reference pages are current: what `npm run docs` would write is what is committed.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { renderApi } from "../../scripts/docs-api.js";
import { renderConfiguration } from "../../scripts/docs-configuration.js";

const root = path.resolve(import.meta.dirname, "../..");

describe("docs/", () => {
  it("configuration.md is what npm run docs writes from src/config.ts (run it after changing a variable)", () => {
    const committed = fs.readFileSync(path.join(root, "docs", "configuration.md"), "utf8");
    expect(committed).toBe(renderConfiguration());
  });

  it("api.md is what npm run docs writes from the comments in proto/ (run it after changing a .proto)", () => {
    const committed = fs.readFileSync(path.join(root, "docs", "api.md"), "utf8");
    expect(committed).toBe(renderApi());
  });
});
