// Vitest global setup: bundles the account app (web/app/ → dist/web/app.js) once before any test
// file runs, since the emailed-link pages and the app are served from that bundle.
import { execFileSync } from "node:child_process";

export default function setup(): void {
  execFileSync("npm", ["run", "build:web", "--silent"], { stdio: "inherit" });
}
