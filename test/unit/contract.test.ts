// The contract is the product: gen/ must be exactly what `buf generate` writes from proto/, and the
// protos must pass `buf lint` (STANDARD + COMMENTS).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");
const bin = path.join(root, "node_modules", ".bin");
const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}` };

function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

describe("the protobuf contract", () => {
  it("gen/ is what buf generate writes from proto/ (regenerate with npm run generate)", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "authd-gen-"));
    try {
      for (const item of ["proto", "buf.yaml", "buf.gen.yaml"]) {
        fs.cpSync(path.join(root, item), path.join(tmp, item), { recursive: true });
      }
      execFileSync("buf", ["generate"], { cwd: tmp, env, stdio: "pipe" });
      const committed = path.join(root, "gen");
      const fresh = path.join(tmp, "gen");
      expect(listFiles(committed)).toEqual(listFiles(fresh));
      for (const file of listFiles(fresh)) {
        const same =
          fs.readFileSync(path.join(fresh, file), "utf8") ===
          fs.readFileSync(path.join(committed, file), "utf8");
        expect(same, `gen/${file} is stale: run npm run generate`).toBe(true);
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("passes buf lint", () => {
    expect(() => execFileSync("buf", ["lint"], { cwd: root, env, stdio: "pipe" })).not.toThrow();
  });
});
