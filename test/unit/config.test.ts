import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, listeningOn, loadConfig, unknownVariables, variables } from "../../src/config.js";

const PRODUCTION = {
  AUTHD_ENV: "production",
  AUTHD_SECRET: "a production master secret of 32+ characters",
  AUTHD_SMTP_URL: "smtp://mail.example.com",
};

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

  it("names every bad variable at once, one line each, and a rule between two only when both were read", () => {
    let error: unknown;
    try {
      loadConfig({
        AUTHD_PORT: "eighty",
        AUTHD_LOG_LEVEL: "loud",
        AUTHD_ENV: "production",
        AUTHD_SECRET: "short",
        AUTHD_HEADERS_TIMEOUT_MS: "20000",
        AUTHD_REQUEST_TIMEOUT_MS: "10000",
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message.split("\n")).toEqual([
      'AUTHD_PORT: must be a whole number, got "eighty"',
      'AUTHD_LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
      "AUTHD_SECRET: must be at least 32 characters",
      "AUTHD_HEADERS_TIMEOUT_MS: must not exceed AUTHD_REQUEST_TIMEOUT_MS",
      // Not "AUTHD_SECRET: is required in production" as well: it was there, only too short.
      "AUTHD_SMTP_URL: is required when AUTHD_ENV=production",
    ]);
  });

  it("names the AUTHD_ variables it does not know, with the known name each most likely meant", () => {
    expect(
      unknownVariables({
        AUTHD_PORTT: "9090",
        AUTHD_LOGLEVEL: "debug",
        AUTHD_PUBLIC_URL: "http://localhost:9090",
        AUTHD_SOMETHING_ELSE_ENTIRELY: "1",
        // Read by the test suite and the benchmarks, not the server.
        AUTHD_TEST_DATABASE_URL: "postgres://x",
        AUTHD_SOAK_SECONDS: "5",
        HOME: "/root",
      }),
    ).toEqual([
      { name: "AUTHD_LOGLEVEL", suggestion: "AUTHD_LOG_LEVEL" },
      { name: "AUTHD_PORTT", suggestion: "AUTHD_PORT" },
      { name: "AUTHD_SOMETHING_ELSE_ENTIRELY", suggestion: undefined },
    ]);
  });

  it("knows every AUTHD_ variable the tests, benchmarks and scripts read, so running them warns of none", () => {
    const root = path.resolve(import.meta.dirname, "../..");
    const read = new Set<string>();
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (entry.name.endsWith(".ts")) {
          for (const match of fs.readFileSync(file, "utf8").matchAll(/process\.env\.(AUTHD_\w+)/g)) {
            read.add(match[1] ?? "");
          }
        }
      }
    };
    for (const dir of ["test", "bench", "scripts"]) walk(path.join(root, dir));
    expect(read.size).toBeGreaterThan(0);
    expect(unknownVariables(Object.fromEntries([...read].map((name) => [name, "x"])))).toEqual([]);
  });

  it.each([
    ["127.0.0.1", "http://localhost:9090", ["http://localhost:9090", "http://127.0.0.1:9090"]],
    ["0.0.0.0", "http://localhost:9090", ["http://localhost:9090", "http://127.0.0.1:9090"]],
    ["::", "http://localhost:9090", ["http://localhost:9090", "http://127.0.0.1:9090", "http://[::1]:9090"]],
    ["::1", "http://localhost:9090", ["http://localhost:9090", "http://[::1]:9090"]],
    // Either loopback address, unknown until it is resolved: neither is trusted.
    ["localhost", "http://localhost:9090", ["http://localhost:9090"]],
    ["192.0.2.7", "http://192.0.2.7:9090", []],
    ["2001:db8::7", "http://[2001:db8::7]:9090", []],
  ])(
    "with AUTHD_HOST=%s and AUTHD_PORT=9090 only, the public URL is %s; the app's loopback origins %j",
    (host, publicUrl, origins) => {
      const config = loadConfig({ AUTHD_HOST: host, AUTHD_PORT: "9090" });
      expect(config.publicUrl).toBe(publicUrl);
      expect(config.issuer).toBe(publicUrl);
      expect(config.localAppOrigins).toEqual(origins);
      // Production has one origin, the public URL's.
      expect(loadConfig({ AUTHD_HOST: host, AUTHD_PORT: "9090", ...PRODUCTION }).localAppOrigins).toEqual([]);
    },
  );

  it("takes the port really bound for AUTHD_PORT=0, keeping the issuer a restart on another port keeps", () => {
    const config = listeningOn(loadConfig({ AUTHD_PORT: "0" }), 41234);
    expect(config.publicUrl).toBe("http://localhost:41234");
    expect(config.localAppOrigins).toEqual(["http://localhost:41234", "http://127.0.0.1:41234"]);
    expect(config.issuer).toBe("http://localhost:0");
    const set = listeningOn(
      loadConfig({ AUTHD_PORT: "0", AUTHD_PUBLIC_URL: "https://id.example.com" }),
      41234,
    );
    expect(set.publicUrl).toBe("https://id.example.com");
    expect(set.localAppOrigins).toEqual([]);
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
    const page = fs.readFileSync(path.resolve(import.meta.dirname, "../../docs/configuration.md"), "utf8");
    for (const variable of variables) expect(page, variable.name).toContain(`\`${variable.name}\``);
  });
});
