// GetSession and ListSessions: the caller's own active sessions, as live-sessions.ts judges them.
import { invalidArgument, notFound } from "../errors.js";
import { keysetQuery, type Page, type PageRequest, toPage } from "../paging.js";
import type { SessionDeps } from "./deps.js";
import { isSessionId, type SessionView } from "./live-sessions.js";

type ReadDeps = Pick<SessionDeps, "uow" | "clock" | "live">;

/** One of the user's active sessions; another user's session answers not_found, like an unknown one. */
export async function getSession(deps: ReadDeps, userId: string, sessionId: string): Promise<SessionView> {
  if (!isSessionId(sessionId)) throw invalidArgument("session_id", "is not a session id");
  const session = await deps.uow.read((reads) => reads.sessions.findOfUser(userId, sessionId));
  if (!session || !deps.live.isActive(session)) throw notFound("session not found");
  return deps.live.view(session);
}

/**
 * One page of the user's active sessions, newest first. The database rules out revoked, ended and
 * long-idle sessions; the exact idle rule (which sees uses not yet written) is applied here.
 */
export async function listSessions(
  deps: ReadDeps,
  userId: string,
  request: PageRequest,
): Promise<Page<SessionView>> {
  const query = keysetQuery("sessions", request);
  const now = deps.clock.now();
  const usedAfter = deps.live.usedAfter(now);
  const rows = await deps.uow.read((reads) => reads.sessions.pageOfUser(userId, query, { now, usedAfter }));
  const page = toPage(
    "sessions",
    query,
    rows,
    (s) => s,
    (s) => deps.live.isActive(s, now),
  );
  return { items: page.items.map((s) => deps.live.view(s)), nextPageToken: page.nextPageToken };
}
