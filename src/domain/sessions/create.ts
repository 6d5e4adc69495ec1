// A new session and its first tokens, in the transaction of the sign-in that ends in it (a password,
// a provider, the second factor that completes one): every successful sign-in makes its session
// here. The session's absolute end is the requested lifetime capped by AUTHD_SESSION_MAX_TTL.
import { randomUUID } from "node:crypto";
import { invalidArgument } from "../errors.js";
import type { SessionRecord, SessionRepositories } from "../persistence.js";
import { tenantAdmitsNewSession, tenantSuspended } from "../tenants/gate.js";
import type { Transaction } from "../unit-of-work.js";
import type { SessionDeps } from "./deps.js";
import { issue } from "./issue.js";
import type { IssuedTokens, NewSession } from "./ports.js";

export async function createSession(
  deps: Pick<SessionDeps, "clock" | "config" | "accessTokens" | "live">,
  tx: Transaction<SessionRepositories>,
  input: NewSession,
): Promise<IssuedTokens> {
  const now = deps.clock.now();
  const requested = input.durationSeconds ?? deps.config.sessionTtlSeconds;
  if (!Number.isFinite(requested) || requested <= 0) {
    throw invalidArgument("session_duration", "must be a positive duration");
  }
  const seconds = Math.min(requested, deps.config.sessionMaxTtlSeconds);
  const session: SessionRecord = {
    id: randomUUID(),
    userId: input.userId,
    amr: input.amr,
    ip: input.client.ip.slice(0, 64),
    userAgent: input.client.userAgent.slice(0, 512),
    createdAt: now,
    lastUsedAt: now,
    expiresAt: now + Math.floor(seconds * 1000),
    revokedAt: null,
    revokeReason: null,
  };
  const user = await tx.users.findById(input.userId);
  if (!user) throw new Error("session for a user that does not exist");
  // The tenant before the session's row, which refers to the account (the lock order of
  // TenantUserRepository.lock): a deletion of the account holding the tenant is waited for.
  if (!(await tenantAdmitsNewSession(tx, user.tenantId))) throw tenantSuspended();
  await tx.sessions.insert(session);
  // Every successful sign-in makes a session here, so this is the one place that records it.
  await tx.users.recordSignIn(user.id, now);
  return issue(deps, tx, session, user);
}
