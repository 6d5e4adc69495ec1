#!/usr/bin/env node
// The authd command line: `serve` (default), `migrate`, `keys rotate`, `keys retire` and `admin create`
// (src/cli.ts reads the arguments and answers help and the version).
// Installed as the `authd` command from its compiled form (dist/src/main.js); `npm run dev` runs this
// source through tsx.
import fs from "node:fs";
import path from "node:path";
import { adminCommand } from "./admin-command.js";
import { createApp } from "./app.js";
import { bindPort } from "./bound-port.js";
import { parseCommandLine } from "./cli.js";
import {
  type Config,
  ConfigError,
  ConfigErrors,
  listeningOn,
  loadConfig,
  unknownVariables,
} from "./config.js";
import { keysCommand } from "./keys-command.js";
import { consoleDestination, createLogger, type Logger } from "./logger.js";
import { packageRoot } from "./package-root.js";
import { type RunningServer, startServer } from "./server.js";
import { openDatabase } from "./store/data-source.js";

/** Stack traces point into src/*.ts rather than the compiled JavaScript. */
process.setSourceMapsEnabled(true);

/** One line each for what a person opens first, with URLs that work from this machine. */
function logAddresses(
  logger: Logger,
  server: RunningServer,
  config: Pick<Config, "publicUrl" | "localAppOrigins">,
): void {
  // A wildcard listen address is not a place a browser can go; the loopback name is.
  const base = server.url.replace(/\/\/(0\.0\.0\.0|\[::\])(?=:)/, "//localhost");
  // The app where it keeps its session: at its public address (session cookies are accepted from
  // that origin), and in development without AUTHD_PUBLIC_URL at the loopback addresses too.
  const also = config.localAppOrigins.filter((origin) => origin !== new URL(config.publicUrl).origin);
  logger.info(
    `account app: ${config.publicUrl.replace(/\/+$/, "")}/${also.length > 0 ? ` (also ${also.map((o) => `${o}/`).join(", ")})` : ""}`,
  );
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
      // AUTHD_PORT=0: the port is taken before the app is built, so that the app (its public URL,
      // when that is not set) knows which one. A set port is bound once the app is ready, as
      // before: nothing connects to a replica still migrating.
      const bound = config.port === 0 ? await bindPort(config.host, 0) : undefined;
      const listening = listeningOn(config, bound?.port ?? config.port);
      const app = await createApp(listening, { logger }).catch(async (error: unknown) => {
        await bound?.close();
        throw error;
      });
      const server = await startServer(app, config.host, bound ?? config.port);
      logger.info({ url: server.url, database: config.databaseUrl.split(":")[0] }, "authd listening");
      logAddresses(logger, server, listening);
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
