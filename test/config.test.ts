import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, variables } from "../src/config.js";

describe("configuration", () => {
  it("has working defaults for development", () => {
    const config = loadConfig({});
    expect(config.host).toBe("127.0.0.1");
    expect(config.port).toBe(8080);
    expect(config.databaseUrl).toBe(`sqlite:${path.join("data", "authd.db")}`);
    expect(config.accessTokenTtlSeconds).toBe(900);
  });

  it.each([
    ["AUTHD_PORT", "eighty"],
    ["AUTHD_PORT", "70000"],
    ["AUTHD_DATABASE_URL", "mysql://x"],
    ["AUTHD_PUBLIC_URL", "not a url"],
    ["AUTHD_LOG_LEVEL", "loud"],
    ["AUTHD_CORS_ORIGINS", "ftp://x"],
    ["AUTHD_REVEAL_ACCOUNTS", "maybe"],
    ["AUTHD_SECRET", "short"],
  ])("refuses %s=%s with an error naming the variable", (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });

  it("requires AUTHD_SECRET in production", () => {
    expect(() => loadConfig({ AUTHD_ENV: "production" })).toThrow("AUTHD_SECRET");
  });

  it("selects PostgreSQL by URL", () => {
    expect(loadConfig({ AUTHD_DATABASE_URL: "postgres://u:p@localhost/authd" }).databaseUrl).toMatch(
      /^postgres:/,
    );
  });

  it("documents every variable in docs/configuration.md", () => {
    const page = fs.readFileSync(path.resolve(import.meta.dirname, "..", "docs", "configuration.md"), "utf8");
    for (const variable of variables) expect(page, variable.name).toContain(`\`${variable.name}\``);
  });
});
