import { defineConfig, type TestProjectInlineConfiguration } from "vitest/config";

// The suite's projects, by what a test proves (docs/development.md, "Tests"). Each global setup runs
// only when a project that lists it has a file to run: the PostgreSQL cluster for the projects
// whose tests use it, the web bundle for the browser tests.
const POSTGRES = "test/global-postgres.ts";
const WEB_BUNDLE = "test/global-web.ts";

function project(name: string, globalSetup: string[] = []): TestProjectInlineConfiguration {
  return { extends: true, test: { name, include: [`test/${name}/**/*.test.ts`], globalSetup } };
}

export default defineConfig({
  test: {
    projects: [
      // No server, no PostgreSQL, no browser: the domain, parsers, the store on a SQLite file, the
      // scheduler, the repository's own checks (architecture, contract, docs), the test peers.
      project("unit"),
      // Through authd (on a port, or in process) and on PostgreSQL; feature folders.
      project("rpc", [POSTGRES]),
      // Crash, races across replicas, secrets at rest, hostile input, soak.
      project("reliability", [POSTGRES]),
      // Headless Chromium against a real authd.
      project("web", [WEB_BUNDLE]),
    ],
    // Each file starts its own server on a random port with its own database; files run in
    // parallel on separate forks, tests within a file in order.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
