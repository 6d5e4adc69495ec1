// A pair of tokens for a session: a new link of its refresh-token chain (opaque, 256 bits, stored
// only as a SHA-256) and an access token signed for it, which never outlives the session. Session
// creation and every Refresh end here.
import { randomUUID } from "node:crypto";
import type { RefreshTokenRecord, SessionRecord, SessionRepositories, UserRecord } from "../persistence.js";
import { hashSecret, randomToken } from "../secrets.js";
import type { Transaction } from "../unit-of-work.js";
import type { SessionDeps } from "./deps.js";
import type { IssuedTokens } from "./ports.js";

/** A refresh token of the session: the secret its holder gets, and the row that keeps only its hash. */
export function newRefreshToken(
  sessionId: string,
  now: number,
  id: string = randomUUID(),
): { token: string; row: RefreshTokenRecord } {
  const token = randomToken(32);
  const row: RefreshTokenRecord = {
    id,
    sessionId,
    tokenHash: hashSecret(token),
    createdAt: now,
    rotatedAt: null,
    replacedBy: null,
    graceUsedAt: null,
  };
  return { token, row };
}

/** Signs an access token for the session and answers the pair (`tx`: the caller's transaction, if any). */
export async function signedPair(
  accessTokens: SessionDeps["accessTokens"],
  session: SessionRecord,
  user: UserRecord,
  refreshToken: string,
  tx?: Transaction<SessionRepositories>,
): Promise<IssuedTokens> {
  const access = await accessTokens.sign(
    {
      userId: user.id,
      sessionId: session.id,
      amr: session.amr,
      tenantId: user.tenantId,
      roles: user.roles,
      notAfter: session.expiresAt,
    },
    tx,
  );
  return {
    sessionId: session.id,
    userId: user.id,
    accessToken: access.token,
    accessTokenExpiresAt: access.expiresAt,
    refreshToken,
    refreshTokenExpiresAt: session.expiresAt,
  };
}

/** A new refresh token (a link of the chain) and a new access token for the session, in `tx`. */
export async function issue(
  deps: Pick<SessionDeps, "clock" | "accessTokens" | "live">,
  tx: Transaction<SessionRepositories>,
  session: SessionRecord,
  user: UserRecord,
  refreshId: string = randomUUID(),
): Promise<IssuedTokens> {
  const now = deps.clock.now();
  const successor = newRefreshToken(session.id, now, refreshId);
  await tx.refreshTokens.insert(successor.row);
  if (session.lastUsedAt !== now) deps.live.used(session.id, now);
  return signedPair(deps.accessTokens, session, user, successor.token, tx);
}
