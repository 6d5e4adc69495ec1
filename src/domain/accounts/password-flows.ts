// Changing a password (knowing the old one) and resetting it (by an emailed link).
//
// A reset is account recovery: whoever held the account before it (a thief with a session, an API
// key made from that session, a remembered device, a pending email change to their own address) is
// shut out. It ends every session, revokes every API key and trusted device, voids every pending
// emailed token and every sign-in waiting for its second factor, lifts a lockout, and never bypasses
// the second factor: it changes the password only.
//
// A change voids pending email-change tokens (one requested from a stolen session would otherwise
// still move the account), sign-ins waiting for their second factor, and forgets trusted devices. Its session policy decides the rest: when it
// ends other sessions (revoke_others, revoke_all) it revokes every API key too, since a key made
// from a stolen session outlives that session; "keep" keeps sessions and keys.

import { administeringRole, announceNewAdministrator } from "../administration/admin-notices.js";
import { checkContinueUrl, storedContinueUrl } from "../continue-url.js";
import {
  failedPrecondition,
  invalidArgument,
  unauthenticated,
  unusableEmailedToken,
  withReason,
} from "../errors.js";
import { consumeToken, issueToken, peekToken, voidTokens } from "../one-time-tokens.js";
import { checkPasswordPolicy, hasPassword } from "../passwords.js";
import type { AccountRepositories } from "../persistence.js";
import type { ClientInfo } from "../ports.js";
import { activateForVerifiedAdmin, holdTenantToActivate } from "../tenants/pending.js";
import { DEFAULT_TENANT_ID } from "../tenants/records.js";
import { commit, type Transaction } from "../unit-of-work.js";
import { admitEmailRequest, admitMailRequest, type MailRequestDeps } from "./admission.js";
import type { Uses } from "./deps.js";
import { findUserByEmail, getUserOrThrow } from "./users.js";
import { normalizeUsername, requireNonEmpty } from "./validation.js";

export type SessionPolicy = "keep" | "revoke_others" | "revoke_all";

export interface ChangePasswordInput {
  userId: string;
  sessionId: string;
  oldPassword: string;
  newPassword: string;
  sessionPolicy: SessionPolicy;
}

/** What a change or reset of the password ends besides it: sessions, API keys, trusted devices. */
type RecoveryParts = "sessions" | "apiKeys" | "secondFactor";

export async function changePassword(
  deps: Uses<"uow" | "reauth" | "hasher" | "clock" | "mail" | RecoveryParts, "passwordMinLength">,
  input: ChangePasswordInput,
  client: ClientInfo,
): Promise<void> {
  requireNonEmpty(input.newPassword, "new_password");
  const user = await deps.uow.read((reads) => getUserOrThrow(reads, input.userId));
  // A first password is set through the emailed reset link, never from a session: for an account
  // without one, a session alone (re-authenticated by its recent sign-in) would otherwise turn a
  // stolen access token into a lasting credential of the thief's choosing.
  if (!hasPassword(user.passwordHash))
    throw withReason(
      "PASSWORD_NOT_SET",
      failedPrecondition("this account has no password yet; set one with RequestPasswordReset"),
    );
  // The password is the first factor: on an account with a second factor, changing it also needs a
  // recent one (the one re-authentication rule), or a stolen session plus a leaked password could
  // end the owner's sessions and keys.
  const verified = await deps.reauth.confirm(input, input.oldPassword);
  checkPasswordPolicy(input.newPassword, deps.config.passwordMinLength, user, "new_password");
  if (input.newPassword.normalize("NFKC") === input.oldPassword.normalize("NFKC")) {
    throw withReason(
      "PASSWORD_UNCHANGED",
      invalidArgument("new_password", "must differ from the current password"),
    );
  }
  const hash = await deps.hasher.hash(input.newPassword);
  const now = deps.clock.now();
  await deps.uow.run(async (tx) => {
    // Only over the hash just verified: a reset that committed meanwhile wins, and this change
    // answers as if the current password were wrong (it no longer is the current one).
    if (!(await tx.accounts.replacePasswordHash(user.id, verified.passwordHash, hash, now)))
      throw withReason(
        "INVALID_CREDENTIALS",
        unauthenticated("current_password: the password is not correct"),
      );
    if (input.sessionPolicy === "revoke_others") await deps.sessions.revokeAll(tx, user.id, input.sessionId);
    if (input.sessionPolicy === "revoke_all") await deps.sessions.revokeAll(tx, user.id);
    const endsOthers = input.sessionPolicy !== "keep";
    if (endsOthers) await deps.apiKeys.revokeAll(tx, user.id);
    await deps.secondFactor.revokeTrustedDevices(tx, user.id);
    await voidTokens(tx, now, user.id, ["change_email"]);
    await tx.accountData.voidPendingSignIns(user.id, now);
    await deps.mail.passwordChanged(tx, user.email, { signedOutOthers: endsOthers });
    await tx.audit.record(now, "password.changed", user.id, client, { sessions: input.sessionPolicy });
    return commit(undefined);
  });
}

/** Who asks for a reset link: an email or a username (exactly one of them). */
export interface ResetRequest {
  email: string;
  username: string;
  captchaToken: string;
  /** The tenant's slug; empty means the default tenant. */
  tenant: string;
}

export async function requestPasswordReset(
  deps: MailRequestDeps & Uses<"clock" | "afterReply", "continueUrlAllowList">,
  request: ResetRequest,
  client: ClientInfo,
  rawContinueUrl = "",
): Promise<void> {
  const continueUrl = checkContinueUrl(rawContinueUrl, deps.config.continueUrlAllowList);
  const named = await admitResetRequest(deps, request, client);
  // An unknown or suspended tenant has no account to reset: the same answer, nothing to do.
  if (named === null) return;
  // The known-account work happens after the answer, so a known account is not slower to answer,
  // whichever identifier named it.
  await deps.afterReply.defer("password_reset", {
    ...named,
    now: deps.clock.now(),
    client,
    continueUrl,
  } satisfies ResetWork);
}

/**
 * The gate of RequestPasswordReset. An email goes through the gate of every "email me" RPC; a
 * username through the same captcha and per-IP limit and a per-username limit, counted whether or
 * not the username exists. Nothing here reads an account. Answers null when the tenant named is
 * unknown or suspended (no account to reset).
 */
async function admitResetRequest(
  deps: MailRequestDeps,
  request: ResetRequest,
  client: ClientInfo,
): Promise<(({ email: string } | { username: string }) & { tenantId: string }) | null> {
  if (request.username.trim() === "") {
    const { email, tenantId } = await admitEmailRequest(deps, request, client);
    return tenantId === null ? null : { email, tenantId };
  }
  if (request.email.trim() !== "")
    throw invalidArgument("username", "give either email or username, not both");
  const username = normalizeUsername(request.username) as string;
  const tenantId = await admitMailRequest(
    deps,
    request,
    client,
    (tenantKey) => `email:username:${tenantKey}:${username}`,
    "emails to this account",
  );
  return tenantId === null ? null : { username, tenantId };
}

/** What RequestPasswordReset leaves for after the reply (after-reply.ts): an email or a username. */
export type ResetWork = ({ email: string } | { username: string }) & {
  /** Absent in work recorded before accounts had tenants: the default tenant. */
  tenantId?: string;
  now: number;
  client: ClientInfo;
  /** Absent in work recorded before continue URLs. */
  continueUrl?: string;
};

export async function sendPasswordReset(
  deps: Uses<"mail", "passwordResetTtlSeconds">,
  tx: Transaction<AccountRepositories>,
  work: ResetWork,
): Promise<void> {
  const { now, client } = work;
  const tenantId = work.tenantId ?? DEFAULT_TENANT_ID;
  const user =
    "username" in work
      ? await tx.accounts.findByUsername(tenantId, work.username)
      : await findUserByEmail(tx, tenantId, work.email);
  if (user?.status !== "active") return;
  const ttl = deps.config.passwordResetTtlSeconds;
  const continueUrl = work.continueUrl ?? "";
  const { token, expiresAt } = await issueToken(tx, now, "reset_password", user.id, ttl, { continueUrl });
  await deps.mail.passwordReset(tx, user.email, token, expiresAt - now, continueUrl);
  await tx.audit.record(now, "password.reset_requested", user.id, client);
}

export async function checkPasswordResetToken(deps: Uses<"uow" | "clock">, token: string): Promise<boolean> {
  requireNonEmpty(token, "token");
  const now = deps.clock.now();
  return deps.uow.read(async (reads) => (await peekToken(reads, now, "reset_password", token)) !== null);
}

export async function resetPassword(
  deps: Uses<
    "uow" | "hasher" | "clock" | "mail" | RecoveryParts,
    "passwordMinLength" | "continueUrlAllowList"
  >,
  token: string,
  newPassword: string,
  client: ClientInfo,
): Promise<{ continueUrl: string }> {
  requireNonEmpty(token, "token");
  requireNonEmpty(newPassword, "new_password");
  const now = deps.clock.now();
  // Check the policy before consuming, so a refused password does not burn the link.
  const pending = await deps.uow.read(async (reads) => {
    const row = await peekToken(reads, now, "reset_password", token);
    return row ? getUserOrThrow(reads, row.userId) : null;
  });
  if (!pending) throw unusableEmailedToken();
  checkPasswordPolicy(newPassword, deps.config.passwordMinLength, pending, "new_password");
  const hash = await deps.hasher.hash(newPassword);
  return deps.uow.run(async (tx) => {
    const link = await peekToken(tx, deps.clock.now(), "reset_password", token);
    if (link) await holdTenantToActivate(tx, link.userId);
    const row = await consumeToken(tx, deps.clock.now(), "reset_password", token);
    if (!row) throw unusableEmailedToken();
    const user = await getUserOrThrow(tx, row.userId);
    // Following the link proves the owner reads this mailbox, so the address counts as verified.
    await tx.accounts.update(user.id, {
      passwordHash: hash,
      passwordChangeRequired: false,
      failedLogins: 0,
      lockedUntil: null,
      emailVerified: true,
      updatedAt: now,
    });
    await deps.sessions.revokeAll(tx, user.id);
    await deps.apiKeys.revokeAll(tx, user.id);
    await deps.secondFactor.revokeTrustedDevices(tx, user.id);
    // A provider identity linked from a stolen session would let its linker back in after the reset.
    // Which identities the owner linked cannot be told apart, so all go (the notice says so); an
    // identity whose email the owner controls links again at its next sign-in.
    await tx.accountData.unlinkIdentities(user.id);
    await voidTokens(tx, now, user.id);
    // A sign-in waiting for its second factor proved the old password: once the password has
    // changed, it must not be finished (whoever started it may be the reason for the change).
    await tx.accountData.voidPendingSignIns(user.id, now);
    await deps.mail.passwordWasReset(tx, user.email);
    await tx.audit.record(now, "password.reset", user.id, client);
    // The address is verified now: a pending company's first admin makes it active, as VerifyEmail does.
    await activateForVerifiedAdmin(tx, user, now, client);
    // An administrator's account created by another (invited, or with an initial password) is taken
    // up by this first reset: from now on it signs in, and the tenant's administrators hear of it.
    const administers = administeringRole(user.roles);
    const invited = !user.emailVerified && (!hasPassword(user.passwordHash) || user.passwordChangeRequired);
    if (administers && invited)
      await announceNewAdministrator(
        tx,
        { send: (t, notice) => deps.mail.adminAdded(t, notice) },
        {
          tenantId: user.tenantId ?? DEFAULT_TENANT_ID,
          account: user,
          role: administers,
          how: "invitation_accepted",
        },
      );
    return commit({
      continueUrl: storedContinueUrl(row.payload.continueUrl, deps.config.continueUrlAllowList),
    });
  });
}
