// AUTHD_CONTINUE_URL_ALLOWLIST: comma-separated origins or origin+path prefixes (domain/continue-url.ts
// says how a continue_url is matched against them).
import { ConfigError, type Parser } from "./config-parsers.js";
import { type ContinueUrlRule, parseContinueUrlRule } from "./domain/continue-url.js";

export const continueUrlAllowList: Parser<ContinueUrlRule[]> = (raw, name) =>
  raw
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "")
    .map((entry) => {
      try {
        return parseContinueUrlRule(entry);
      } catch (error) {
        throw new ConfigError(name, (error as Error).message);
      }
    });
