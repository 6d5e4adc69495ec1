// Ending sessions inside a transaction someone else opened: the use cases of this feature that end
// sessions (end-sessions.ts, a reused refresh token) and other features' (deactivation, a password
// reset, a suspended tenant: the SessionIssuer port) all revoke through here and live-sessions.ts.
import type { SessionRepositories } from "../persistence.js";
import type { Transaction } from "../unit-of-work.js";
import type { SessionDeps } from "./deps.js";

type RevocationDeps = Pick<SessionDeps, "clock" | "live">;

/** Revokes one session of the user in the caller's transaction; answers 1 if it was active. */
export async function revokeOne(
  deps: RevocationDeps,
  tx: Transaction<SessionRepositories>,
  userId: string,
  sessionId: string,
  reason: string,
): Promise<number> {
  const session = await tx.sessions.findOfUser(userId, sessionId);
  if (!session || !deps.live.isActive(session)) return 0;
  await deps.live.revokeIn(tx, [sessionId], deps.clock.now(), reason);
  return 1;
}

/** Revokes every active session of the user, except `exceptSessionId` when given; answers how many. */
export async function revokeAll(
  deps: RevocationDeps,
  tx: Transaction<SessionRepositories>,
  userId: string,
  exceptSessionId?: string,
): Promise<number> {
  if (!userId) throw new Error("revokeAll needs a user id");
  const now = deps.clock.now();
  const sessions = await tx.sessions.listUnrevoked(userId);
  const active = sessions.filter((s) => s.id !== exceptSessionId && deps.live.isActive(s, now));
  await deps.live.revokeIn(
    tx,
    active.map((s) => s.id),
    now,
    "revoked_all",
  );
  return active.length;
}

/** Revokes every unrevoked session of the tenant's accounts in one statement; answers how many. */
export async function revokeAllOfTenant(
  deps: RevocationDeps,
  tx: Transaction<SessionRepositories>,
  tenantId: string,
): Promise<number> {
  const now = deps.clock.now();
  const ids = await tx.sessions.revokeAllOfTenant(tenantId, now, "tenant_suspended");
  await deps.live.revoked(tx, ids);
  return ids.length;
}
