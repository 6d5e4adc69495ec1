#!/usr/bin/env -S npx tsx
// The authd command line: `serve` (default) and `migrate`.
import { createApp } from "./app.js";
import { ConfigError, loadConfig } from "./config.js";
import { createLogger } from "./logger.js";
import { startServer } from "./server.js";
import { openDatabase } from "./store/data-source.js";

const USAGE = `usage: authd [serve | migrate]
  serve     start the server (default)
  migrate   apply pending database migrations and exit`;

async function main(argv: string[]): Promise<number> {
  const [command = "serve", ...rest] = argv;
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  switch (command) {
    case "serve": {
      const app = await createApp(config, { logger });
      const server = await startServer(app, config.host, config.port);
      logger.info({ url: server.url, database: config.databaseUrl.split(":")[0] }, "authd listening");
      const stop = (signal: string) => {
        logger.info({ signal }, "shutting down");
        server.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once("SIGTERM", () => stop("SIGTERM"));
      process.once("SIGINT", () => stop("SIGINT"));
      return -1;
    }
    case "migrate": {
      const { dataSource, applied } = await openDatabase(config.databaseUrl);
      await dataSource.destroy();
      logger.info({ applied }, "migrations done");
      return 0;
    }
    default:
      console.error(`unknown command "${command}" ${rest.join(" ")}\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    if (error instanceof ConfigError) {
      console.error(`authd: configuration error: ${error.message}`);
      process.exit(78);
    }
    console.error("authd: failed to start:", error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
