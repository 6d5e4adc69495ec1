// Deactivation and deletion, each confirmed by a single-use emailed link after re-entering the
// password. Both end every session and API key at once; deletion erases the account's rows instead.

import { checkContinueUrl, storedContinueUrl } from "../continue-url.js";
import { unusableEmailedToken } from "../errors.js";
import { consumeToken, issueToken } from "../one-time-tokens.js";
import type { ClientInfo } from "../ports.js";
import { commit } from "../unit-of-work.js";
import type { AccountDeps } from "./deps.js";
import { emailLimitKey, limit } from "./registration.js";
import { getUserOrThrow } from "./users.js";
import { requireNonEmpty } from "./validation.js";

type Closure = "deactivate" | "delete";

export async function requestClosure(
  deps: AccountDeps,
  kind: Closure,
  userId: string,
  password: string,
  rawContinueUrl = "",
): Promise<void> {
  const continueUrl = checkContinueUrl(rawContinueUrl, deps.config.continueUrlAllowList);
  const user = await deps.uow.read((tx) => getUserOrThrow(tx, userId));
  await deps.passwords.confirm(user.id, user.passwordHash, password);
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

export async function confirmDeactivation(
  deps: AccountDeps,
  token: string,
  client: ClientInfo,
): Promise<{ continueUrl: string }> {
  requireNonEmpty(token, "token");
  const now = deps.clock.now();
  return deps.uow.run(async (tx) => {
    const row = await consumeToken(tx, now, "deactivate", token);
    if (!row) throw unusableEmailedToken();
    const user = await getUserOrThrow(tx, row.userId);
    await tx.accounts.update(user.id, { status: "deactivated", updatedAt: now });
    await deps.sessions.revokeAll(tx, user.id);
    await deps.sessions.revokeApiKeys(tx, user.id);
    await deps.mail.accountDeactivated(tx, user.email);
    await tx.audit.record(now, "user.deactivated", user.id, client);
    return commit({
      continueUrl: storedContinueUrl(row.payload.continueUrl, deps.config.continueUrlAllowList),
    });
  });
}

export async function confirmDeletion(
  deps: AccountDeps,
  token: string,
  _client: ClientInfo,
): Promise<{ continueUrl: string }> {
  requireNonEmpty(token, "token");
  const now = deps.clock.now();
  return deps.uow.run(async (tx) => {
    const row = await consumeToken(tx, now, "delete", token);
    if (!row) throw unusableEmailedToken();
    const user = await getUserOrThrow(tx, row.userId);
    // Revoked first, then erased: revoking is what tells the session and key caches (of every
    // replica) that the credentials are gone.
    await deps.sessions.revokeAll(tx, user.id);
    await deps.sessions.revokeApiKeys(tx, user.id);
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
