// Deactivation and deletion, each confirmed by a single-use emailed link after re-entering the
// password. Both end every session and API key at once; deletion erases the account's rows instead.
//
// An account closing itself keeps the rules an administrator's changes keep
// (administration/last-admin.ts): the last active admin of a tenant, and the last operator, cannot
// close their account. The request is refused before anything is mailed; the link is checked again
// when followed, in its transaction and with the tenant held (taken before the link is spent), so
// two admins following their links at once cannot both leave. A refused link rolls back unspent: it
// works once another admin is appointed.

import { keepAnAdmin, keepAnOperator } from "../administration/last-admin.js";
import { checkContinueUrl, storedContinueUrl } from "../continue-url.js";
import { unusableEmailedToken } from "../errors.js";
import type { OneTimeTokenRecord } from "../one-time-token-persistence.js";
import { consumeToken, issueToken, peekToken } from "../one-time-tokens.js";
import type { AccountRepositories, Repositories } from "../persistence.js";
import type { ClientInfo } from "../ports.js";
import { commit, type Transaction } from "../unit-of-work.js";
import { emailLimitKey, limit } from "./admission.js";
import type { Uses } from "./deps.js";
import type { AccountRecord } from "./persistence.js";
import { getUserOrThrow } from "./users.js";
import { requireNonEmpty } from "./validation.js";

type Closure = "deactivate" | "delete";

export async function requestClosure(
  deps: Uses<
    "uow" | "passwords" | "rateLimiter" | "clock" | "mail",
    "continueUrlAllowList" | "emailsPerAddress" | "rateLimitWindowSeconds" | "confirmationTtlSeconds"
  >,
  kind: Closure,
  userId: string,
  password: string,
  rawContinueUrl = "",
): Promise<void> {
  const continueUrl = checkContinueUrl(rawContinueUrl, deps.config.continueUrlAllowList);
  const user = await deps.uow.read((reads) => getUserOrThrow(reads, userId));
  await deps.passwords.confirm(user.id, user.passwordHash, password);
  // Said now rather than after a link that could not be used (checked again when it is followed).
  await deps.uow.read((reads) => keepManagers(reads, user));
  // Each request mails the owner: counted per address like every other email a client can ask for.
  await limit(
    deps,
    emailLimitKey(user.tenantId, user.email),
    deps.config.emailsPerAddress,
    "emails to this address",
  );
  const now = deps.clock.now();
  await deps.uow.run(async (tx) => {
    const ttl = deps.config.confirmationTtlSeconds;
    const { token, expiresAt } = await issueToken(tx, now, kind, user.id, ttl, { continueUrl });
    const validFor = expiresAt - now;
    if (kind === "deactivate")
      await deps.mail.confirmDeactivation(tx, user.email, token, validFor, continueUrl);
    else await deps.mail.confirmDeletion(tx, user.email, token, validFor, continueUrl);
    return commit(undefined);
  });
}

/** What following a closing link uses: it ends every session and API key, and mails the owner. */
type ConfirmDeps = Uses<"uow" | "clock" | "sessions" | "apiKeys" | "mail", "continueUrlAllowList">;

export async function confirmDeactivation(
  deps: ConfirmDeps,
  token: string,
  client: ClientInfo,
): Promise<{ continueUrl: string }> {
  requireNonEmpty(token, "token");
  const now = deps.clock.now();
  return deps.uow.run(async (tx) => {
    const { row, user } = await spendClosingLink(tx, now, "deactivate", token);
    await tx.accounts.update(user.id, { status: "deactivated", updatedAt: now });
    await deps.sessions.revokeAll(tx, user.id);
    await deps.apiKeys.revokeAll(tx, user.id);
    await deps.mail.accountDeactivated(tx, user.email);
    await tx.audit.record(now, "user.deactivated", user.id, client);
    return commit({
      continueUrl: storedContinueUrl(row.payload.continueUrl, deps.config.continueUrlAllowList),
    });
  });
}

export async function confirmDeletion(
  deps: ConfirmDeps,
  token: string,
  _client: ClientInfo,
): Promise<{ continueUrl: string }> {
  requireNonEmpty(token, "token");
  const now = deps.clock.now();
  return deps.uow.run(async (tx) => {
    const { row, user } = await spendClosingLink(tx, now, "delete", token);
    // Revoked first, then erased: revoking is what tells the session and key caches (of every
    // replica) that the credentials are gone.
    await deps.sessions.revokeAll(tx, user.id);
    await deps.apiKeys.revokeAll(tx, user.id);
    await deps.mail.accountDeleted(tx, user.email);
    // The account row and everything hanging off it go (AccountDataRepository.erase). The audit
    // trail keeps the opaque account id and event types, but not where the requests came from.
    await tx.accountData.erase(user);
    await tx.accountData.forgetRequestOrigins(user.id);
    await tx.audit.record(now, "user.deleted", user.id, { ip: "", userAgent: "" });
    return commit({
      continueUrl: storedContinueUrl(row.payload.continueUrl, deps.config.continueUrlAllowList),
    });
  });
}

/**
 * Spends the link, and answers it with the account it closes, read with its tenant held
 * (TenantUserRepository.lock) and checked to leave an admin and an operator behind. The tenant is
 * taken before the link's row is (the lock order of TenantUserRepository.lock: an administrator
 * deleting the account holds the tenant, then deletes the account's links). A refusal throws,
 * which rolls the spent link back.
 */
async function spendClosingLink(
  tx: Transaction<AccountRepositories>,
  now: number,
  kind: Closure,
  token: string,
): Promise<{ row: OneTimeTokenRecord; user: AccountRecord }> {
  const link = await peekToken(tx, now, kind, token);
  if (!link) throw unusableEmailedToken();
  const { tenantId } = await getUserOrThrow(tx, link.userId);
  await tx.tenantUsers.lock(tenantId);
  const row = await consumeToken(tx, now, kind, token);
  if (!row) throw unusableEmailedToken();
  // Read again once the tenant is held: a concurrent closure or role change has committed by now.
  const user = await getUserOrThrow(tx, row.userId);
  await keepManagers(tx, user);
  return { row, user };
}

/** LAST_ADMIN when closing `user` would leave its tenant with no active admin, or authd with no operator. */
async function keepManagers(reads: Pick<Repositories, "tenantUsers">, user: AccountRecord): Promise<void> {
  await keepAnAdmin(reads, user.tenantId, user, null);
  await keepAnOperator(reads, user, null);
}
