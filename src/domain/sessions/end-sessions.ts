// The use cases that end the caller's own sessions: RevokeSession (one), RevokeAllSessions (all, or
// all but the caller's) and Logout (the caller's, the others, or all). Each is one transaction.
import { invalidArgument, notFound } from "../errors.js";
import type { ClientInfo } from "../ports.js";
import { commit } from "../unit-of-work.js";
import type { SessionDeps } from "./deps.js";
import { isSessionId } from "./live-sessions.js";
import { revokeAll, revokeOne } from "./revocation.js";

type EndDeps = Pick<SessionDeps, "uow" | "clock" | "live">;

/** Revokes one of the user's sessions; revoking an ended session changes nothing. */
export async function revokeSession(
  deps: EndDeps,
  userId: string,
  sessionId: string,
  client: ClientInfo,
): Promise<void> {
  if (sessionId === "") throw invalidArgument("session_id", "is required");
  if (!isSessionId(sessionId)) throw invalidArgument("session_id", "is not a session id");
  const now = deps.clock.now();
  await deps.uow.run(async (tx) => {
    const session = await tx.sessions.findOfUser(userId, sessionId);
    if (!session) throw notFound("session not found");
    if ((await revokeOne(deps, tx, userId, sessionId, "revoked")) === 1) {
      await tx.audit.record(now, "session.revoked", userId, client, { sessionId });
    }
    return commit(undefined);
  });
}

/**
 * Ends every session of the caller's account, or (`others`) all but the caller's own; a caller
 * without a session (an API key) keeps none. Answers how many were active.
 */
export function revokeAllSessions(
  deps: EndDeps,
  caller: { userId: string; sessionId: string | undefined },
  scope: "all" | "others",
): Promise<number> {
  const except = scope === "others" ? caller.sessionId : undefined;
  return deps.uow.run(async (tx) => commit(await revokeAll(deps, tx, caller.userId, except)));
}

/** Ends the caller's session, or all of the user's sessions, or all but the caller's; audited. */
export async function logout(
  deps: EndDeps,
  caller: { userId: string; sessionId: string },
  scope: "current" | "others" | "all",
  client: ClientInfo,
): Promise<number> {
  const { userId, sessionId } = caller;
  const now = deps.clock.now();
  return deps.uow.run(async (tx) => {
    const count =
      scope === "current"
        ? await revokeOne(deps, tx, userId, sessionId, "logout")
        : await revokeAll(deps, tx, userId, scope === "others" ? sessionId : undefined);
    await tx.audit.record(now, "logout", userId, client, { sessionId, scope: scope.toUpperCase() });
    return commit(count);
  });
}
