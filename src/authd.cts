#!/usr/bin/env node
// The `authd` command (and `npm start`): sizes libuv's thread pool, then runs main.js.
//
// argon2 and the sqlite3 driver share libuv's thread pool, 4 threads unless UV_THREADPOOL_SIZE says
// otherwise. authd runs one argon2 computation per core (AUTHD_HASH_CONCURRENCY) and gives the pool
// four more threads, so a sign-in's short database calls never wait behind other sign-ins' hashes.
// libuv reads the variable once, when the pool is first used, and loading an ES module already uses
// it (Node reads module files with async fs): so this entry is CommonJS, loaded synchronously, and
// sets the variable before it imports anything. An operator's own UV_THREADPOOL_SIZE is kept.
const { availableParallelism } = require("node:os") as typeof import("node:os");

const EXTRA_THREADS_FOR_DATABASE_AND_FILES = 4;
if (!process.env.UV_THREADPOOL_SIZE) {
  process.env.UV_THREADPOOL_SIZE = String(availableParallelism() + EXTRA_THREADS_FOR_DATABASE_AND_FILES);
}

import("./main.js").catch((error: unknown) => {
  console.error("authd: failed to start:", error);
  process.exit(1);
});
