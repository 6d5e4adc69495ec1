// `authd keys rotate` and `authd keys retire [--kid KID]`: the operator's hold on the keys that sign
// access tokens (src/domain/sessions/signing-keys.ts). Rotation is routine: the old key verifies
// until its tokens expire. Retirement is for a key believed compromised: it is withdrawn at once.
import { systemClock } from "./clock.js";
import type { Config } from "./config.js";
import { DomainError } from "./domain/errors.js";
import { SIGNING_KEY_REPOSITORIES } from "./domain/persistence.js";
import { resolveMasterSecret, SigningKeys } from "./domain/sessions/signing-keys.js";
import type { Logger } from "./logger.js";
import { openDatabase } from "./store/data-source.js";
import { Store } from "./store/store.js";
import { StoreUnitOfWork } from "./store/unit-of-work.js";

/** Runs `authd keys rotate` or `authd keys retire [--kid KID]` (src/cli.ts read them); answers the exit code. */
export async function keysCommand(
  action: "rotate" | "retire",
  kid: string | undefined,
  config: Config,
  logger: Logger,
): Promise<number> {
  const { dataSource } = await openDatabase(config.databaseUrl);
  const store = new Store(dataSource);
  try {
    const keys = new SigningKeys(
      new StoreUnitOfWork(store).scoped(SIGNING_KEY_REPOSITORIES),
      systemClock,
      config.accessTokenTtlSeconds,
      resolveMasterSecret(config),
    );
    await keys.init();
    if (action === "rotate") {
      const current = await keys.rotate();
      logger.info({ kid: current }, "signing key rotated");
      process.stdout.write(`${current}\n`);
      return 0;
    }
    const { withdrawn, current } = await keys.withdraw(kid);
    logger.warn({ withdrawn, current }, "signing key withdrawn: its access tokens no longer validate");
    process.stdout.write(`${current}\n`);
    return 0;
  } catch (error) {
    if (error instanceof DomainError) {
      console.error(`authd keys ${action}: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    await store.close();
  }
}
