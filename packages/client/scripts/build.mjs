// Builds the package: copies the generated code from the repository's gen/ (the one source of truth,
// made by `buf generate` from proto/) next to src/, then compiles both to dist/ with declarations.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const here = path.resolve(import.meta.dirname, "..");
const gen = path.resolve(here, "..", "..", "gen");
fs.rmSync(path.join(here, "gen"), { recursive: true, force: true });
fs.rmSync(path.join(here, "dist"), { recursive: true, force: true });
fs.cpSync(gen, path.join(here, "gen"), { recursive: true });
const tsc = path.resolve(here, "..", "..", "node_modules", "typescript", "bin", "tsc");
execFileSync(process.execPath, [tsc, "-p", path.join(here, "tsconfig.json")], { stdio: "inherit" });
