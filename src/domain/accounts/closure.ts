// Deactivation and deletion, each confirmed by a single-use emailed link after re-entering the
// password. Both end every session and API key at once; deletion erases the account's rows instead.
import { AuditEventEntity } from "../../store/entities/audit-event.js";
import { UserEntity } from "../../store/entities/user.js";
import { recordAudit } from "../../store/repositories/audit.js";
import { txOf } from "../../store/unit-of-work.js";
import { invalidArgument } from "../errors.js";
import { consumeToken, issueToken } from "../one-time-tokens.js";
import type { ClientInfo } from "../ports.js";
import type { AccountDeps } from "./deps.js";
import { eraseAccount } from "./erasure.js";
import { limit } from "./registration.js";
import { getUserOrThrow } from "./users.js";
import { requireNonEmpty } from "./validation.js";

type Closure = "deactivate" | "delete";

export async function requestClosure(
  deps: AccountDeps,
  kind: Closure,
  userId: string,
  password: string,
): Promise<void> {
  const user = await deps.store.transaction((em) => getUserOrThrow(em, userId));
  await deps.passwords.confirm(user.id, user.passwordHash, password);
  // Each request mails the owner: counted per address like every other email a client can ask for.
  await limit(deps, `email:${user.email}`, deps.config.emailsPerAddress, "emails to this address");
  const now = deps.clock.now();
  await deps.store.transaction(async (em) => {
    const { token, expiresAt } = await issueToken(em, now, kind, user.id, deps.config.confirmationTtlSeconds);
    if (kind === "deactivate") await deps.mail.confirmDeactivation(em, user.email, token, expiresAt - now);
    else await deps.mail.confirmDeletion(em, user.email, token, expiresAt - now);
  });
}

export async function confirmDeactivation(
  deps: AccountDeps,
  token: string,
  client: ClientInfo,
): Promise<void> {
  requireNonEmpty(token, "token");
  const now = deps.clock.now();
  await deps.store.transaction(async (em) => {
    const row = await consumeToken(em, now, "deactivate", token);
    if (!row) throw invalidArgument("token", "is invalid, expired or already used");
    const user = await getUserOrThrow(em, row.userId);
    await em.update(UserEntity, { id: user.id }, { status: "deactivated", updatedAt: now });
    await deps.sessions.revokeAll(txOf(em), user.id);
    await deps.sessions.revokeApiKeys(txOf(em), user.id);
    await deps.mail.accountDeactivated(em, user.email);
    await recordAudit(em, now, "user.deactivated", user.id, client);
  });
}

export async function confirmDeletion(deps: AccountDeps, token: string, _client: ClientInfo): Promise<void> {
  requireNonEmpty(token, "token");
  const now = deps.clock.now();
  await deps.store.transaction(async (em) => {
    const row = await consumeToken(em, now, "delete", token);
    if (!row) throw invalidArgument("token", "is invalid, expired or already used");
    const user = await getUserOrThrow(em, row.userId);
    // Revoked first, then erased: revoking is what tells the session and key caches (of every
    // replica) that the credentials are gone.
    await deps.sessions.revokeAll(txOf(em), user.id);
    await deps.sessions.revokeApiKeys(txOf(em), user.id);
    await deps.mail.accountDeleted(em, user.email);
    // The account row and everything hanging off it go (erasure.ts). The audit trail keeps the
    // opaque account id and event types, but not where the requests came from.
    await eraseAccount(em, user);
    await em.update(AuditEventEntity, { userId: user.id }, { ip: "", userAgent: "" });
    await recordAudit(em, now, "user.deleted", user.id, { ip: "", userAgent: "" });
  });
}
