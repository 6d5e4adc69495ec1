// Verifying an address: the link mailed at registration (and again on request), and the link that
// moves an account to a new address (UpdateCurrentUser's email change); VerifyEmail follows either.
import { checkContinueUrl, storedContinueUrl } from "../continue-url.js";
import { failedPrecondition, unusableEmailedToken } from "../errors.js";
import { consumeToken, issueToken, peekToken, voidTokens } from "../one-time-tokens.js";
import type { AccountRepositories } from "../persistence.js";
import type { ClientInfo } from "../ports.js";
import { activateForVerifiedAdmin, holdTenantToActivate } from "../tenants/pending.js";
import { DEFAULT_TENANT_ID } from "../tenants/records.js";
import { commit, type Transaction } from "../unit-of-work.js";
import { admitEmailRequest, type EmailRequest, type MailRequestDeps } from "./admission.js";
import type { Uses } from "./deps.js";
import { findUserByEmail, getUserOrThrow, isUniqueViolation } from "./users.js";
import { requireNonEmpty } from "./validation.js";

/** Answers the continue_url the link was requested with ("" for none). */
export async function verifyEmail(
  deps: Uses<"uow" | "clock" | "mail", "continueUrlAllowList">,
  token: string,
  client: ClientInfo,
): Promise<{ continueUrl: string }> {
  requireNonEmpty(token, "token");
  const now = deps.clock.now();
  const done = deps.uow.run(async (tx) => {
    const link = await peekToken(tx, now, "verify_email", token);
    if (link) await holdTenantToActivate(tx, link.userId);
    const verification = await consumeToken(tx, now, "verify_email", token);
    if (verification) {
      const user = await getUserOrThrow(tx, verification.userId);
      await tx.accounts.update(user.id, { emailVerified: true, updatedAt: now });
      await tx.audit.record(now, "email.verified", user.id, client);
      // RegisterCompany's first admin: the company is real now.
      await activateForVerifiedAdmin(tx, user, now, client);
      return commit(storedContinueUrl(verification.payload.continueUrl, deps.config.continueUrlAllowList));
    }
    const change = await consumeToken(tx, now, "change_email", token);
    if (!change) throw unusableEmailedToken();
    const newEmail = change.payload.email;
    if (!newEmail) throw unusableEmailedToken();
    const user = await getUserOrThrow(tx, change.userId);
    if (await findUserByEmail(tx, user.tenantId, newEmail))
      throw failedPrecondition("the new email address is already in use");
    const oldEmail = user.email;
    await tx.accounts.update(user.id, { email: newEmail, emailVerified: true, updatedAt: now });
    // The email factor is "the account's email": its codes follow the address to the new mailbox,
    // and codes already sent to the old one (which may be why it was given up) stop working.
    await tx.accountData.moveEmailFactor(user.id, oldEmail, newEmail);
    // Links mailed to the old address (a reset above all) must not outlive the move away from it.
    await voidTokens(tx, now, user.id, ["reset_password", "deactivate", "delete", "verify_email"]);
    await deps.mail.emailChanged(tx, oldEmail, newEmail);
    await tx.audit.record(now, "email.changed", user.id, client);
    return commit(storedContinueUrl(change.payload.continueUrl, deps.config.continueUrlAllowList));
  });
  // Two accounts confirming a move to one address at once both pass the check above; the UNIQUE
  // index refuses the second (PostgreSQL), which gets the same answer as the check's.
  const continueUrl = await done.catch((error: unknown) => {
    if (isUniqueViolation(error)) throw failedPrecondition("the new email address is already in use");
    throw error;
  });
  return { continueUrl };
}

export async function resendVerification(
  deps: MailRequestDeps & Uses<"clock" | "afterReply", "continueUrlAllowList">,
  request: EmailRequest,
  client: ClientInfo,
  rawContinueUrl = "",
): Promise<void> {
  const continueUrl = checkContinueUrl(rawContinueUrl, deps.config.continueUrlAllowList);
  const { email, tenantId } = await admitEmailRequest(deps, request, client);
  // An unknown or suspended tenant has no account to mail: the same answer, nothing to do.
  if (tenantId === null) return;
  const work: ResendWork = { tenantId, email, now: deps.clock.now(), continueUrl };
  await deps.afterReply.defer("resend_verification", work);
}

/** What ResendVerificationEmail leaves for after the reply. */
export interface ResendWork {
  /** Absent in work recorded before accounts had tenants: the default tenant. */
  tenantId?: string;
  email: string;
  now: number;
  /** Absent in work recorded before continue URLs. */
  continueUrl?: string;
}

export async function issueVerification(
  deps: Uses<"mail", "emailVerificationTtlSeconds">,
  tx: Transaction<AccountRepositories>,
  work: ResendWork,
): Promise<void> {
  const user = await findUserByEmail(tx, work.tenantId ?? DEFAULT_TENANT_ID, work.email);
  if (!user || user.emailVerified || user.status !== "active") return;
  await sendVerification(deps, tx, user.id, work.email, work.now, work.continueUrl ?? "");
}

/** Issues the account's verification link and mails it, in the caller's transaction. */
export async function sendVerification(
  deps: Uses<"mail", "emailVerificationTtlSeconds">,
  tx: Transaction<AccountRepositories>,
  userId: string,
  email: string,
  now: number,
  continueUrl: string,
) {
  const ttl = deps.config.emailVerificationTtlSeconds;
  const { token, expiresAt } = await issueToken(tx, now, "verify_email", userId, ttl, { continueUrl });
  await deps.mail.verifyEmail(tx, email, token, expiresAt - now, continueUrl);
}
