// Paging and filters of the MFA lists on SQLite (the suite: suites/mfa-paging.ts).
import { mfaPagingSuite } from "./suites/mfa-paging.js";

mfaPagingSuite("SQLite", async () => ({ env: {}, drop: async () => {} }));
