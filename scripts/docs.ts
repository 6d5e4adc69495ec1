// `npm run docs`: writes the reference pages generated from the code, so they cannot drift from it:
// docs/configuration.md from the variables in src/config.ts, docs/api.md from the comments in proto/.
// A test checks that the committed pages are current.
import fs from "node:fs";
import path from "node:path";
import { renderApi } from "./docs-api.js";
import { renderConfiguration } from "./docs-configuration.js";

const root = path.resolve(import.meta.dirname, "..");
const pages: Record<string, () => string> = {
  "configuration.md": renderConfiguration,
  "api.md": renderApi,
};
fs.mkdirSync(path.join(root, "docs"), { recursive: true });
for (const [name, render] of Object.entries(pages)) {
  fs.writeFileSync(path.join(root, "docs", name), render());
  process.stdout.write(`wrote docs/${name}\n`);
}
