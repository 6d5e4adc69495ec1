// The caller's own identities: listing, linking a new one (with re-authentication), unlinking one
// (never the last way into the account) and reading back the provider tokens stored for one.

import { LinkedIdentityEntity } from "../../store/entities/linked-identity.js";
import { UserEntity } from "../../store/entities/user.js";
import { recordAudit } from "../../store/repositories/audit.js";
import { txOf } from "../../store/unit-of-work.js";
import { getUserOrThrow, isUniqueViolation } from "../accounts/users.js";
import type { Caller as Principal } from "../callers.js";
import { alreadyExists, failedPrecondition, invalidArgument } from "../errors.js";
import { hasRecentStepUp } from "../mfa/step-up.js";
import { hasPassword } from "../passwords.js";
import type { ClientInfo } from "../ports.js";
import type { IdentityDeps } from "./deps.js";
import { checkProviderTokens, openTokens, type ProviderTokens } from "./provider-tokens.js";
import { findIdentity, insertIdentity, listIdentities, ownIdentity, touchIdentity } from "./records.js";

/** Linking proves the identity now: its ID token must be at most this old. */
export const LINK_MAX_TOKEN_AGE_SECONDS = 600;

type SessionCaller = Pick<Principal, "userId" | "sessionId"> & { sessionId: string };

export async function listLinkedIdentities(
  deps: IdentityDeps,
  userId: string,
): Promise<{ identities: LinkedIdentityEntity[]; hasPassword: boolean }> {
  return deps.accounts.store.read(async (em) => {
    const user = await getUserOrThrow(txOf(em), userId);
    return { identities: await listIdentities(em, userId), hasPassword: hasPassword(user.passwordHash) };
  });
}

export interface LinkInput {
  provider: string;
  idToken: string;
  accessToken: string;
  refreshToken: string;
  nonce: string;
  currentPassword: string;
}

export async function linkIdentity(
  deps: IdentityDeps,
  caller: SessionCaller,
  input: LinkInput,
  client: ClientInfo,
): Promise<LinkedIdentityEntity> {
  const { accounts } = deps;
  const tokens = checkProviderTokens(input.accessToken, input.refreshToken);
  // The token first: a bad one should not cost the caller a password attempt.
  const identity = await deps.providers.verify(
    input.provider,
    input.idToken,
    input.nonce,
    LINK_MAX_TOKEN_AGE_SECONDS,
  );
  await reauthenticate(deps, caller, input.currentPassword);
  try {
    return await accounts.store.transaction(async (em) => {
      const now = accounts.clock.now();
      const user = await getUserOrThrow(txOf(em), caller.userId);
      const known = await findIdentity(em, input.provider, identity.subject);
      if (known && known.userId !== user.id) throw linkedElsewhere();
      if (known) return touchIdentity(em, deps.box, known, identity, tokens, now);
      const row = await insertIdentity(em, deps.box, user.id, input.provider, identity, tokens, now);
      await recordAudit(em, now, "identity.linked", user.id, client, {
        provider: input.provider,
        by: "link",
      });
      await accounts.mail.identityChanged(txOf(em), user.email, "linked", input.provider);
      return row;
    });
  } catch (error) {
    // Linked by another account at the same moment.
    if (isUniqueViolation(error)) throw linkedElsewhere();
    throw error;
  }
}

const linkedElsewhere = () => alreadyExists("this identity is already linked to another account");

/**
 * The current password, or — when none is given — a second factor this session proved recently.
 * An account without a factor has no such alternative: its password is required.
 */
async function reauthenticate(deps: IdentityDeps, caller: SessionCaller, password: string): Promise<void> {
  const { accounts } = deps;
  if (password === "") {
    const stepped = await accounts.store.read((em) =>
      hasRecentStepUp(txOf(em), caller, accounts.clock.now()),
    );
    if (stepped) return;
    throw invalidArgument(
      "current_password",
      "is required, unless this session proved a second factor recently (MfaService.StepUp)",
    );
  }
  const user = await accounts.store.read((em) => getUserOrThrow(txOf(em), caller.userId));
  await accounts.passwords.confirm(user.id, user.passwordHash, password, "current_password");
}

export async function unlinkIdentity(
  deps: IdentityDeps,
  userId: string,
  identityId: string,
  client: ClientInfo,
): Promise<void> {
  const { accounts } = deps;
  await accounts.store.transaction(async (em) => {
    const now = accounts.clock.now();
    // Writing the account row first serialises concurrent unlinks of one account (PostgreSQL
    // row lock), so two of them cannot each leave the other as the last way in and both go.
    await em.update(UserEntity, { id: userId }, { updatedAt: now });
    const user = await getUserOrThrow(txOf(em), userId);
    const row = await ownIdentity(em, userId, identityId);
    const others = (await listIdentities(em, userId)).filter((i) => i.id !== row.id);
    if (!hasPassword(user.passwordHash) && others.length === 0) {
      throw failedPrecondition(
        "this identity is the account's only way to sign in: set a password (RequestPasswordReset) or link another identity first",
      );
    }
    await em.delete(LinkedIdentityEntity, { id: row.id });
    await recordAudit(em, now, "identity.unlinked", userId, client, { provider: row.provider });
    await accounts.mail.identityChanged(txOf(em), user.email, "unlinked", row.provider);
  });
}

export async function getProviderTokens(
  deps: IdentityDeps,
  userId: string,
  identityId: string,
): Promise<ProviderTokens & { updatedAt: number | null }> {
  const row = await deps.accounts.store.read((em) => ownIdentity(em, userId, identityId));
  if (row.tokensSealed === null) return { accessToken: "", refreshToken: "", updatedAt: null };
  return { ...openTokens(deps.box, row.id, row.tokensSealed), updatedAt: row.tokensUpdatedAt };
}
