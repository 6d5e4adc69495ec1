// The composition root: builds the domain from configuration, once, and hands it to the transport.

import { type Clock, systemClock } from "./clock.js";
import type { Config } from "./config.js";
import { createLogger, type Logger } from "./logger.js";
import { openDatabase } from "./store/data-source.js";
import { Store } from "./store/store.js";

export interface AppOptions {
  clock?: Clock;
  logger?: Logger;
}

export interface App {
  config: Config;
  clock: Clock;
  logger: Logger;
  store: Store;
  /** The public signing keys, as served at /.well-known/jwks.json. */
  jwks(): Promise<{ keys: object[] }>;
  isHealthy(): Promise<boolean>;
  close(): Promise<void>;
}

export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.logLevel);
  const { dataSource, applied } = await openDatabase(config.databaseUrl);
  if (applied > 0) logger.info({ applied }, "database migrations applied");
  const store = new Store(dataSource);

  return {
    config,
    clock,
    logger,
    store,
    jwks: async () => ({ keys: [] }),
    async isHealthy() {
      try {
        await store.transaction((em) => em.query("SELECT 1"));
        return true;
      } catch {
        return false;
      }
    },
    close: () => store.close(),
  };
}
