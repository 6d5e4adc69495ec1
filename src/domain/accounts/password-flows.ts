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
import { type EntityManager, IsNull } from "typeorm";
import { LinkedIdentityEntity } from "../../store/entities/linked-identity.js";
import { MfaChallengeEntity } from "../../store/entities/mfa.js";
import { UserEntity } from "../../store/entities/user.js";
import { recordAudit } from "../../store/repositories/audit.js";
import { txOf } from "../../store/unit-of-work.js";
import { invalidArgument, unauthenticated } from "../errors.js";
import { requireRecentSecondFactor } from "../mfa/step-up.js";
import { consumeToken, issueToken, peekToken, voidTokens } from "../one-time-tokens.js";
import { checkPasswordPolicy } from "../passwords.js";
import type { ClientInfo } from "../ports.js";
import type { AccountDeps } from "./deps.js";
import { admitEmailRequest } from "./registration.js";
import { findUserByEmail, getUserOrThrow } from "./users.js";
import { requireNonEmpty } from "./validation.js";

export type SessionPolicy = "keep" | "revoke_others" | "revoke_all";

export interface ChangePasswordInput {
  userId: string;
  sessionId: string;
  oldPassword: string;
  newPassword: string;
  sessionPolicy: SessionPolicy;
}

export async function changePassword(
  deps: AccountDeps,
  input: ChangePasswordInput,
  client: ClientInfo,
): Promise<void> {
  requireNonEmpty(input.newPassword, "new_password");
  // The password is the first factor: on an account with a second factor, changing it also needs a
  // recent one (as email, mobile and factor changes do), or a stolen session plus a leaked password
  // could end the owner's sessions and keys.
  const user = await deps.store.transaction(async (em) => {
    await requireRecentSecondFactor(txOf(em), input, deps.clock.now());
    return getUserOrThrow(em, input.userId);
  });
  await deps.passwords.confirm(user.id, user.passwordHash, input.oldPassword, "old_password");
  checkPasswordPolicy(input.newPassword, deps.config.passwordMinLength, user, "new_password");
  if (input.newPassword.normalize("NFKC") === input.oldPassword.normalize("NFKC")) {
    throw invalidArgument("new_password", "must differ from the current password");
  }
  const hash = await deps.hasher.hash(input.newPassword);
  const now = deps.clock.now();
  await deps.store.transaction(async (em) => {
    // Only over the hash just verified: a reset that committed meanwhile wins, and this change
    // answers as if the current password were wrong (it no longer is the current one).
    const changed = await em
      .createQueryBuilder()
      .update(UserEntity)
      .set({ passwordHash: hash, updatedAt: now })
      .where("id = :id AND password_hash = :verified", { id: user.id, verified: user.passwordHash })
      .execute();
    if (changed.affected !== 1) throw unauthenticated("old_password: the password is not correct");
    if (input.sessionPolicy === "revoke_others")
      await deps.sessions.revokeAll(txOf(em), user.id, input.sessionId);
    if (input.sessionPolicy === "revoke_all") await deps.sessions.revokeAll(txOf(em), user.id);
    const endsOthers = input.sessionPolicy !== "keep";
    if (endsOthers) await deps.sessions.revokeApiKeys(txOf(em), user.id);
    await deps.secondFactor.revokeTrustedDevices(txOf(em), user.id);
    await voidTokens(em, now, user.id, ["change_email"]);
    await voidPendingChallenges(em, user.id, now);
    await deps.mail.passwordChanged(em, user.email, { signedOutOthers: endsOthers });
    await recordAudit(em, now, "password.changed", user.id, client, { sessions: input.sessionPolicy });
  });
}

export async function requestPasswordReset(
  deps: AccountDeps,
  rawEmail: string,
  captchaToken: string,
  client: ClientInfo,
): Promise<void> {
  const email = await admitEmailRequest(deps, rawEmail, captchaToken, client);
  // The known-account work happens after the answer, so a known address is not slower to answer.
  await deps.afterReply.defer("password_reset", { email, now: deps.clock.now(), client } satisfies ResetWork);
}

/** What RequestPasswordReset leaves for after the reply (after-reply.ts). */
export interface ResetWork {
  email: string;
  now: number;
  client: ClientInfo;
}

export async function sendPasswordReset(
  deps: AccountDeps,
  em: EntityManager,
  work: ResetWork,
): Promise<void> {
  const { email, now, client } = work;
  const user = await findUserByEmail(em, email);
  if (user?.status !== "active") return;
  const ttl = deps.config.passwordResetTtlSeconds;
  const { token, expiresAt } = await issueToken(em, now, "reset_password", user.id, ttl);
  await deps.mail.passwordReset(em, user.email, token, expiresAt - now);
  await recordAudit(em, now, "password.reset_requested", user.id, client);
}

export async function checkPasswordResetToken(deps: AccountDeps, token: string): Promise<boolean> {
  requireNonEmpty(token, "token");
  const now = deps.clock.now();
  return deps.store.transaction(async (em) => (await peekToken(em, now, "reset_password", token)) !== null);
}

export async function resetPassword(
  deps: AccountDeps,
  token: string,
  newPassword: string,
  client: ClientInfo,
): Promise<void> {
  requireNonEmpty(token, "token");
  requireNonEmpty(newPassword, "new_password");
  const now = deps.clock.now();
  // Check the policy before consuming, so a refused password does not burn the link.
  const pending = await deps.store.transaction(async (em) => {
    const row = await peekToken(em, now, "reset_password", token);
    return row ? getUserOrThrow(em, row.userId) : null;
  });
  if (!pending) throw invalidArgument("token", "is invalid, expired or already used");
  checkPasswordPolicy(newPassword, deps.config.passwordMinLength, pending, "new_password");
  const hash = await deps.hasher.hash(newPassword);
  await deps.store.transaction(async (em) => {
    const row = await consumeToken(em, deps.clock.now(), "reset_password", token);
    if (!row) throw invalidArgument("token", "is invalid, expired or already used");
    const user = await getUserOrThrow(em, row.userId);
    // Following the link proves the owner reads this mailbox, so the address counts as verified.
    await em.update(
      UserEntity,
      { id: user.id },
      { passwordHash: hash, failedLogins: 0, lockedUntil: null, emailVerified: true, updatedAt: now },
    );
    await deps.sessions.revokeAll(txOf(em), user.id);
    await deps.sessions.revokeApiKeys(txOf(em), user.id);
    await deps.secondFactor.revokeTrustedDevices(txOf(em), user.id);
    // A provider identity linked from a stolen session would let its linker back in after the reset.
    // Which identities the owner linked cannot be told apart, so all go (the notice says so); an
    // identity whose email the owner controls links again at its next sign-in.
    await em.delete(LinkedIdentityEntity, { userId: user.id });
    await voidTokens(em, now, user.id);
    await voidPendingChallenges(em, user.id, now);
    await deps.mail.passwordWasReset(em, user.email);
    await recordAudit(em, now, "password.reset", user.id, client);
  });
}

/**
 * A sign-in waiting for its second factor proved the old password: once the password has changed,
 * it must not be finished (whoever started it may be the reason for the change).
 */
async function voidPendingChallenges(em: EntityManager, userId: string, now: number): Promise<void> {
  if (!userId) throw new Error("voidPendingChallenges needs a user id");
  await em.update(MfaChallengeEntity, { userId, consumedAt: IsNull() }, { consumedAt: now });
}
