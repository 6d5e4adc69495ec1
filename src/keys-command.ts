// `authd keys rotate` and `authd keys retire [--kid KID]`: the operator's hold on the keys that sign
// access tokens (src/domain/signing-keys.ts). Rotation is routine: the old key verifies until its
// tokens expire. Retirement is for a key believed compromised: it is withdrawn at once.
import { parseArgs } from "node:util";
import { systemClock } from "./clock.js";
import type { Config } from "./config.js";
import { DomainError } from "./domain/errors.js";
import { SIGNING_KEY_REPOSITORIES } from "./domain/persistence.js";
import { REVOCATION_BOUND_MS } from "./domain/session-cache.js";
import { resolveMasterSecret, SigningKeys } from "./domain/signing-keys.js";
import type { Logger } from "./logger.js";
import { openDatabase } from "./store/data-source.js";
import { Store } from "./store/store.js";
import { StoreUnitOfWork } from "./store/unit-of-work.js";

const KEYS_USAGE = `usage: authd keys rotate | authd keys retire [--kid KID]
  rotate  add a new signing key; the old one verifies until its tokens expire
  retire  withdraw the current key (or the one named by --kid) at once, for a key believed
          compromised: a new key becomes current, the old one leaves the JWKS and its access
          tokens stop validating on every replica within ${REVOCATION_BOUND_MS / 1000} s; sessions stay, and
          their next Refresh gets a token signed by the new key
  Both print the kid of the current key.`;

/** Runs `authd keys ...`; answers the exit code. */
export async function keysCommand(args: string[], config: Config, logger: Logger): Promise<number> {
  let kid: string | undefined;
  try {
    if (args[0] === "rotate") parseArgs({ args: args.slice(1), options: {}, strict: true });
    else if (args[0] === "retire") {
      ({ kid } = parseArgs({
        args: args.slice(1),
        options: { kid: { type: "string" } },
        strict: true,
      }).values);
      if (kid === "") throw new Error("--kid must not be empty");
    } else throw new Error(`unknown command "keys ${args.join(" ")}"`);
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : error}\n${KEYS_USAGE}`);
    return 2;
  }
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
    if (args[0] === "rotate") {
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
      console.error(`authd keys ${args[0]}: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    await store.close();
  }
}
