// Sessions and the tokens they issue: the signing keys (created on first start), access tokens, and
// the sessions with their in-memory cache. On PostgreSQL the revocation channel tells this
// replica's cache what other replicas revoked: built before the sessions (their cache asks it how
// fresh it is) and subscribed to them once they exist.
import type { Config } from "../config.js";
import { SESSION_REPOSITORIES, SIGNING_KEY_REPOSITORIES } from "../domain/persistence.js";
import { AccessTokens } from "../domain/sessions/access-tokens.js";
import { SessionCache } from "../domain/sessions/session-cache.js";
import { LAST_USE_WRITE_INTERVAL_MS } from "../domain/sessions/session-last-use.js";
import { Sessions } from "../domain/sessions/sessions.js";
import { SigningKeys } from "../domain/sessions/signing-keys.js";
import { RevocationChannel } from "../store/revocation-channel.js";
import type { Infrastructure } from "./infrastructure.js";
import type { Closer, Wired } from "./wired.js";

export interface SessionsFace {
  sessions: Sessions;
  accessTokens: AccessTokens;
  signingKeys: SigningKeys;
}

/** The settings it uses. */
type Settings = Pick<
  Config,
  | "databaseUrl"
  | "issuer"
  | "audience"
  | "accessTokenTtlSeconds"
  | "sessionTtlSeconds"
  | "sessionMaxTtlSeconds"
  | "sessionIdleTimeoutSeconds"
  | "refreshReuseGraceSeconds"
>;

export async function wireSessions(
  infra: Pick<Infrastructure, "clock" | "logger" | "store" | "unitOfWork" | "secrets">,
  settings: Settings,
): Promise<Wired<SessionsFace>> {
  const { clock, logger } = infra;
  const signingKeys = new SigningKeys(
    infra.unitOfWork(SIGNING_KEY_REPOSITORIES),
    clock,
    settings.accessTokenTtlSeconds,
    infra.secrets.master,
  );
  await signingKeys.init();
  const accessTokens = new AccessTokens(signingKeys, clock, settings);
  // The per-request session check answers from memory; on PostgreSQL other replicas' revocations
  // arrive by LISTEN/NOTIFY (see revocation-channel.ts for the bound).
  const channel =
    infra.store.dialect === "postgres" ? new RevocationChannel(settings.databaseUrl, logger) : undefined;
  const sessions = new Sessions(infra.unitOfWork(SESSION_REPOSITORIES), clock, settings, accessTokens, {
    cache: new SessionCache(channel),
    publishRevocations: channel ? (tx, ids) => tx.sessions.announceRevoked(ids) : undefined,
    logger,
  });
  const closers: Closer[] = [];
  if (channel) {
    channel.subscribe({
      revoked: (ids) => sessions.forgetRevoked(ids),
      listening: () => sessions.forgetAll(),
    });
    await channel.start();
    closers.push(() => channel.stop());
  }
  // Closed first (closers run in reverse): the last uses noted are written while the store is open.
  closers.push(() => sessions.close());
  return {
    face: { sessions, accessTokens, signingKeys },
    closers,
    jobs: [
      {
        name: "session last-use writes",
        everyMs: LAST_USE_WRITE_INTERVAL_MS,
        run: () => sessions.writeLastUses(),
      },
    ],
  };
}
