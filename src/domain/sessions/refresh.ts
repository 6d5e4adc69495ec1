// Refresh: a refresh token for a new pair. The token is rotated on every Refresh; the chain of rotated
// tokens is kept so that presenting an already-rotated token revokes the whole session (RFC 9700
// §4.14.2). The one exception: the token rotated last may be presented once more within
// AUTHD_REFRESH_REUSE_GRACE seconds (two tabs refreshing at once); that answers a fresh pair and
// leaves the other tab's token valid.
import { randomUUID } from "node:crypto";
import { invalidArgument, unauthenticated, withReason } from "../errors.js";
import type { RefreshTokenRecord, SessionRecord, SessionRepositories, UserRecord } from "../persistence.js";
import type { ClientInfo } from "../ports.js";
import { hashSecret } from "../secrets.js";
import { statusAdmits, tenantAdmits } from "../tenants/gate.js";
import { commit, commitThenFail, type Outcome, type Transaction } from "../unit-of-work.js";
import type { SessionDeps } from "./deps.js";
import { issue, newRefreshToken, signedPair } from "./issue.js";
import type { IssuedTokens } from "./ports.js";

type RefreshDeps = Pick<SessionDeps, "uow" | "clock" | "config" | "accessTokens" | "live">;

/** One message for every refused refresh token; the reason tells its holder what to do next. */
const invalidRefreshToken = (
  reason: "TOKEN_INVALID" | "TOKEN_EXPIRED" | "SESSION_REVOKED" = "TOKEN_INVALID",
) => withReason(reason, unauthenticated("invalid or expired refresh token"));

/** Exchanges a refresh token for a new pair, rotating it. Unauthenticated when it is not usable. */
export async function refresh(
  deps: RefreshDeps,
  refreshToken: string,
  client: ClientInfo,
): Promise<IssuedTokens> {
  if (refreshToken === "") throw invalidArgument("refresh_token", "is required");
  const tokenHash = hashSecret(refreshToken);
  const rotated = await rotateUnrotated(deps, tokenHash);
  if (rotated) return rotated;
  // A reuse revokes the session; that must commit, so the error is thrown after the transaction.
  return deps.uow.run((tx) => rotate(deps, tx, tokenHash, client));
}

/**
 * The common case of a refresh (a current token of an active session), with the reads before the
 * write transaction and the signature after it, so the transaction is two statements. The claim
 * re-checks in the database what the reads saw and could have changed since: the token is still
 * unrotated and the session still unrevoked (revoking a user's sessions is how deactivation and
 * password resets end them). Null when anything is unusual: `rotate` then decides, in one
 * transaction.
 */
async function rotateUnrotated(deps: RefreshDeps, tokenHash: string): Promise<IssuedTokens | null> {
  const now = deps.clock.now();
  const found = await deps.uow.read((reads) => reads.refreshTokens.findForRotation(tokenHash));
  if (!found || found.token.rotatedAt !== null) return null;
  const { token: row, session, user } = found;
  if (!deps.live.isActive(session, now) || user.status !== "active" || !statusAdmits(found.tenantStatus))
    return null;
  const successor = newRefreshToken(session.id, now);
  const claimed = await deps.uow.run(async (tx) => {
    if (!(await tx.refreshTokens.claimRotation(row.id, now, successor.row.id, session.id)))
      return commit(false);
    await tx.refreshTokens.insert(successor.row);
    return commit(true);
  });
  if (!claimed) return null;
  deps.live.used(session.id, now);
  return signedPair(deps.accessTokens, session, user, successor.token);
}

async function rotate(
  deps: RefreshDeps,
  tx: Transaction<SessionRepositories>,
  tokenHash: string,
  client: ClientInfo,
): Promise<Outcome<IssuedTokens>> {
  const now = deps.clock.now();
  const row = await tx.refreshTokens.findByHash(tokenHash);
  if (!row) throw invalidRefreshToken();
  const session = await tx.sessions.findById(row.sessionId);
  if (!session) throw invalidRefreshToken();
  if (!deps.live.isActive(session, now))
    throw invalidRefreshToken(session.revokedAt === null ? "TOKEN_EXPIRED" : "SESSION_REVOKED");
  const user = await tx.users.findById(session.userId);
  if (user?.status !== "active") throw invalidRefreshToken("SESSION_REVOKED");
  if (!(await tenantAdmits(tx, user.tenantId))) throw invalidRefreshToken("SESSION_REVOKED");

  if (row.rotatedAt === null) {
    // Conditional update: of two concurrent refreshes with one token, only one rotates it.
    const successorId = randomUUID();
    if (await tx.refreshTokens.claimRotation(row.id, now, successorId))
      return commit(await issue(deps, tx, session, user, successorId));
    const reread = await tx.refreshTokens.findById(row.id);
    if (!reread || reread.rotatedAt === null) throw invalidRefreshToken();
    return reuse(deps, tx, reread, session, user, now, client);
  }
  return reuse(deps, tx, row, session, user, now, client);
}

/** A rotated token was presented again: the grace case, or theft. */
async function reuse(
  deps: RefreshDeps,
  tx: Transaction<SessionRepositories>,
  row: RefreshTokenRecord,
  session: SessionRecord,
  user: UserRecord,
  now: number,
  client: ClientInfo,
): Promise<Outcome<IssuedTokens>> {
  const rotatedAt = row.rotatedAt ?? now;
  const successor = row.replacedBy ? await tx.refreshTokens.findById(row.replacedBy) : null;
  const graceSeconds = deps.config.refreshReuseGraceSeconds;
  // A grace of 0 means none, even for a second presentation within the same millisecond.
  const inGrace =
    graceSeconds > 0 &&
    now - rotatedAt <= graceSeconds * 1000 &&
    row.graceUsedAt === null &&
    successor !== null &&
    successor.rotatedAt === null;
  if (inGrace && (await tx.refreshTokens.claimGrace(row.id, now))) {
    return commit(await issue(deps, tx, session, user));
  }
  await deps.live.revokeIn(tx, [session.id], now, "refresh_token_reused");
  await tx.audit.record(now, "refresh_token.reused", session.userId, client, {
    sessionId: session.id,
  });
  return commitThenFail(
    withReason("SESSION_REVOKED", unauthenticated("refresh token reused: the session was revoked")),
  );
}
