// Sessions and the tokens they issue: the signing keys (created on first start), access tokens, the
// live sessions with their in-memory cache, API keys, and the one path from a credential to its
// caller. On PostgreSQL the revocation channel tells this replica's cache what other replicas
// revoked: built before the sessions (their cache asks it how fresh it is) and subscribed to them
// once they exist. It answers the face (SessionService, Refresh, Logout) and the ports the other
// features and the authentication interceptor take.
import type { Config } from "../config.js";
import {
  API_KEY_REPOSITORIES,
  SESSION_REPOSITORIES,
  SIGNING_KEY_REPOSITORIES,
} from "../domain/persistence.js";
import { AccessTokens } from "../domain/sessions/access-tokens.js";
import { ApiKeys } from "../domain/sessions/api-keys.js";
import { Credentials } from "../domain/sessions/credentials.js";
import {
  type ApiKeyRevoker,
  createSessions,
  type SessionIssuer,
  type SessionLister,
  type Sessions,
  sessionIssuer,
  type TokenAuthenticator,
} from "../domain/sessions/index.js";
import { LiveSessions } from "../domain/sessions/live-sessions.js";
import { SessionCache } from "../domain/sessions/session-cache.js";
import { LAST_USE_WRITE_INTERVAL_MS } from "../domain/sessions/session-last-use.js";
import { SigningKeys } from "../domain/sessions/signing-keys.js";
import { RevocationChannel } from "../store/revocation-channel.js";
import type { Infrastructure } from "./infrastructure.js";
import type { Closer, Wired } from "./wired.js";

export interface SessionsFace {
  /** The face SessionService and AuthService's Refresh and Logout call. */
  sessions: Sessions;
  /** Sessions made and ended in other features' transactions, and listed for a tenant admin. */
  issuer: SessionIssuer & SessionLister;
  /** API keys revoked in other features' transactions (deactivation, recovery, closure). */
  apiKeys: ApiKeyRevoker;
  /** The one path from a credential (access token, API key) to its caller: the interceptor's. */
  credentials: TokenAuthenticator;
  /** The keys that sign access tokens: the JWKS route, and the tests' key rotation. */
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
  infra: Pick<Infrastructure, "clock" | "logger" | "store" | "unitOfWork" | "secrets" | "reauth">,
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
  const uow = infra.unitOfWork(SESSION_REPOSITORIES);
  const live = new LiveSessions(uow, clock, settings, {
    cache: new SessionCache(channel),
    publishRevocations: channel ? (tx, ids) => tx.sessions.announceRevoked(ids) : undefined,
    logger,
  });
  const deps = { uow, clock, config: settings, accessTokens, live };
  // A key outlives the session that made it: making one re-authenticates.
  const apiKeys = new ApiKeys({ uow: infra.unitOfWork(API_KEY_REPOSITORIES), clock, reauth: infra.reauth });
  const credentials = new Credentials(accessTokens, live, apiKeys, uow);
  const closers: Closer[] = [];
  if (channel) {
    channel.subscribe({
      revoked: (ids) => live.forgetRevoked(ids),
      listening: () => live.forgetAll(),
    });
    await channel.start();
    closers.push(() => channel.stop());
  }
  // Closed first (closers run in reverse): the last uses noted are written while the store is open.
  closers.push(() => live.close());
  return {
    face: {
      sessions: createSessions({ ...deps, apiKeys, credentials }),
      issuer: sessionIssuer(deps),
      apiKeys,
      credentials,
      signingKeys,
    },
    closers,
    jobs: [
      {
        name: "session last-use writes",
        everyMs: LAST_USE_WRITE_INTERVAL_MS,
        run: () => live.writeLastUses(),
      },
    ],
  };
}
