// What the session use cases are built from. Each use case takes the Pick of it that it uses.
import type { Clock } from "../../clock.js";
import type { SessionRepositories } from "../persistence.js";
import type { UnitOfWork } from "../unit-of-work.js";
import type { AccessTokens } from "./access-tokens.js";
import type { LiveSessions } from "./live-sessions.js";

/** The session settings (AUTHD_SESSION_TTL, _MAX_TTL, _IDLE_TIMEOUT, AUTHD_REFRESH_REUSE_GRACE). */
export interface SessionConfig {
  sessionTtlSeconds: number;
  sessionMaxTtlSeconds: number;
  sessionIdleTimeoutSeconds: number;
  refreshReuseGraceSeconds: number;
}

export interface SessionDeps {
  uow: UnitOfWork<SessionRepositories>;
  clock: Clock;
  config: SessionConfig;
  /** Signs the access token of every pair a session is issued. */
  accessTokens: Pick<AccessTokens, "sign">;
  /** What this replica knows of live sessions; every revocation goes through it. */
  live: LiveSessions;
}
