// `npm run docs`: writes the reference pages generated from the code, so they cannot drift from it.
// docs/configuration.md comes from the variables declared in src/config.ts (a test checks it is current).
import fs from "node:fs";
import path from "node:path";
import { renderConfiguration } from "./docs-configuration.js";

const root = path.resolve(import.meta.dirname, "..");
const file = path.join(root, "docs", "configuration.md");
fs.mkdirSync(path.dirname(file), { recursive: true });
fs.writeFileSync(file, renderConfiguration());
process.stdout.write(`wrote ${path.relative(root, file)}\n`);
