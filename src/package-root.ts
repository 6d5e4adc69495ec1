// The folder of authd's package.json, found by walking up from this module. Files shipped beside the
// code (web/) are read from there, so the same path works from src/ under tsx and from the compiled
// dist/src/ of an installed package.
import fs from "node:fs";
import path from "node:path";

function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${start}`);
  }
}

export const packageRoot = findPackageRoot(import.meta.dirname);
