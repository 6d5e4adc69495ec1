// Verified mobile numbers and usernames as identifiers, on SQLite (the suite: suites/identifiers.ts).
import { identifierSuite } from "./suites/identifiers.js";

identifierSuite("identifiers on SQLite", async () => ({ env: {}, drop: async () => {} }));
