// Optional sign-in at registration on SQLite (the suite: suites/registration-sign-in.ts), and the
// configuration that guards it.
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";
import { registrationSignInSuite } from "./suites/registration-sign-in.js";

registrationSignInSuite("SQLite", async () => ({ env: {}, drop: async () => {} }));

describe("configuration", () => {
  it("is off by default, and refuses sign-in at registration while email verification is required", () => {
    const defaults = loadConfig({});
    expect(defaults.signInAtRegistration).toBe(false);
    expect(defaults.requireEmailVerification).toBe(true);
    expect(() => loadConfig({ AUTHD_SIGN_IN_AT_REGISTRATION: "true" })).toThrow(ConfigError);
    expect(() => loadConfig({ AUTHD_SIGN_IN_AT_REGISTRATION: "true" })).toThrow(
      /AUTHD_SIGN_IN_AT_REGISTRATION/,
    );
  });
});
