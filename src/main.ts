#!/usr/bin/env node
// The authd command line: `serve` (default), `migrate`, `keys rotate`, `keys retire` and `admin create`
// (src/cli.ts reads the arguments and answers help and the version).
// Installed as the `authd` command from its compiled form (dist/src/main.js); `npm run dev` runs this
// source through tsx.
import fs from "node:fs";
import path from "node:path";
import { adminCommand } from "./admin-command.js";
import { createApp } from "./app.js";
import { parseCommandLine } from "./cli.js";
import { ConfigError, ConfigErrors, loadConfig, unknownVariables } from "./config.js";
import { keysCommand } from "./keys-command.js";
import { consoleDestination, createLogger, type Logger } from "./logger.js";
import { packageRoot } from "./package-root.js";
import { type RunningServer, startServer } from "./server.js";
import { openDatabase } from "./store/data-source.js";

/** Stack traces point into src/*.ts rather than the compiled JavaScript. */
process.setSourceMapsEnabled(true);

/** One line each for what a person opens first, with URLs that work from this machine. */
function logAddresses(logger: Logger, server: RunningServer, publicUrl: string): void {
  // A wildcard listen address is not a place a browser can go; the loopback name is.
  const base = server.url.replace(/\/\/(0\.0\.0\.0|\[::\])(?=:)/, "//localhost");
  // The app at its public address: session cookies are only accepted from that origin, so the
  // listen address (127.0.0.1 by default) would show a sign-in that cannot keep its session.
  logger.info(`account app: ${publicUrl.replace(/\/+$/, "")}/`);
  logger.info(`JWKS: ${base}/.well-known/jwks.json`);
  logger.info(`health check: ${base}/healthz`);
  if (server.metricsUrl) logger.info(`metrics: ${server.metricsUrl}`);
}

/** The version in authd's package.json, for `authd --version`. */
function packageVersion(): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(packageRoot, "package.json"), "utf8")) as {
    version: string;
  };
  return manifest.version;
}

async function main(argv: string[]): Promise<number> {
  const invocation = parseCommandLine(argv, packageVersion());
  if (invocation.kind === "print") {
    process.stdout.write(`${invocation.text}\n`);
    return 0;
  }
  if (invocation.kind === "refuse") {
    process.stderr.write(`${invocation.text}\n`);
    return 2;
  }
  const config = loadConfig();
  const logger = createLogger(config.logLevel, consoleDestination(config.logFormat));
  for (const { name, suggestion } of unknownVariables()) {
    logger.warn(
      { variable: name, suggestion },
      `${name} is not an authd variable and is ignored${suggestion ? `: did you mean ${suggestion}?` : ""}`,
    );
  }
  const { values } = invocation;
  switch (invocation.command) {
    case "serve": {
      const app = await createApp(config, { logger });
      const server = await startServer(app, config.host, config.port);
      logger.info({ url: server.url, database: config.databaseUrl.split(":")[0] }, "authd listening");
      logAddresses(logger, server, config.publicUrl);
      // The handlers stay installed: a terminal's Ctrl-C reaches the server twice under `npm start`
      // (from the terminal, and forwarded by npm), and the second must not end the drain by
      // default action. close() bounds the drain itself (it cuts connections left after 10 s).
      let stopping = false;
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, "shutting down");
        server.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.on("SIGTERM", stop);
      process.on("SIGINT", stop);
      return -1;
    }
    case "migrate": {
      const { dataSource, applied } = await openDatabase(config.databaseUrl);
      await dataSource.destroy();
      logger.info({ applied }, "migrations done");
      return 0;
    }
    case "keys rotate":
      return keysCommand("rotate", undefined, config, logger);
    case "keys retire":
      return keysCommand("retire", values.kid as string | undefined, config, logger);
    case "admin create":
      return adminCommand(
        { email: String(values.email), tenant: String(values.tenant), operator: values.operator === true },
        config,
        logger,
      );
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    if (error instanceof ConfigErrors) {
      console.error(`authd: ${error.errors.length} configuration errors:\n${error.message}`);
      process.exit(78);
    }
    if (error instanceof ConfigError) {
      console.error(`authd: configuration error: ${error.message}`);
      process.exit(78);
    }
    console.error("authd: failed to start:", error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
