import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-postgres.ts", "test/global-web.ts"],
    // Each file starts its own server on a random port with its own database; files run in
    // parallel on separate forks, tests within a file in order.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
