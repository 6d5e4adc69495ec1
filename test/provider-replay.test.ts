// Each provider ID token signs in once, on SQLite (the suite: suites/provider-replay.ts).
import { providerReplaySuite } from "./suites/provider-replay.js";

providerReplaySuite("ID token replay on SQLite", async () => ({ env: {}, drop: async () => {} }));
