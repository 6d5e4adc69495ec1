// The caller's own identities: listing, linking a new one, unlinking one (never the last way into the
// account) and reading back the provider tokens stored for one. All but listing re-authenticate
// (reauthentication.ts): an identity is a way in, and a provider's refresh token outlives anything
// authd can revoke, so a stolen access token must not link, unlink or read one.

import { getUserOrThrow, isUniqueViolation } from "../accounts/users.js";
import type { Caller as Principal } from "../callers.js";
import { alreadyExists, failedPrecondition, withReason } from "../errors.js";
import { hasPassword } from "../passwords.js";
import type { Repositories } from "../persistence.js";
import type { ClientInfo } from "../ports.js";
import { commit } from "../unit-of-work.js";
import type { IdentityDeps } from "./deps.js";
import type { LinkedIdentityRecord } from "./persistence.js";
import { checkProviderTokens, openTokens, type ProviderTokens } from "./provider-tokens.js";
import { insertIdentity, ownIdentity, touchIdentity } from "./records.js";
import { spendIdToken } from "./replay.js";

/** Linking proves the identity now: its ID token must be at most this old. */
export const LINK_MAX_TOKEN_AGE_SECONDS = 600;

/** Who links, unlinks or reads tokens: the account, and its session (none for an API key, refused). */
export type IdentityCaller = Pick<Principal, "userId" | "sessionId">;

export interface LinkedIdentities {
  identities: LinkedIdentityRecord[];
  hasPassword: boolean;
  /** The providers one could be linked at (an app offers linking only when there is one). */
  configuredProviders: string[];
}

/** The caller's identities, and the providers one could be linked at. */
export async function listLinkedIdentities(
  deps: Pick<IdentityDeps, "uow" | "providers">,
  userId: string,
): Promise<LinkedIdentities> {
  return deps.uow.read(async (reads) => {
    const user = await getUserOrThrow(reads, userId);
    return {
      identities: await reads.identities.listOfUser(userId),
      hasPassword: hasPassword(user.passwordHash),
      configuredProviders: deps.providers.names(),
    };
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
  deps: Pick<IdentityDeps, "uow" | "clock" | "providers" | "box" | "notices" | "reauth">,
  caller: IdentityCaller,
  input: LinkInput,
  client: ClientInfo,
): Promise<LinkedIdentityRecord> {
  const tokens = checkProviderTokens(input.accessToken, input.refreshToken);
  // The token first: a bad one should not cost the caller a password attempt.
  const identity = await deps.providers.verify(
    input.provider,
    input.idToken,
    input.nonce,
    LINK_MAX_TOKEN_AGE_SECONDS,
  );
  await deps.reauth.confirm(caller, input.currentPassword, { purpose: "to link an identity" });
  try {
    return await deps.uow.run(async (tx) => {
      await spendIdToken(tx, identity);
      const now = deps.clock.now();
      const user = await getUserOrThrow(tx, caller.userId);
      const known = await tx.identities.findBySubject(user.tenantId, input.provider, identity.subject);
      if (known && known.userId !== user.id) throw linkedElsewhere();
      if (known) return commit(await touchIdentity(tx, deps.box, known, identity, tokens, now));
      const row = await insertIdentity(tx, deps.box, user, input.provider, identity, tokens, now);
      await tx.audit.record(now, "identity.linked", user.id, client, {
        provider: input.provider,
        by: "link",
      });
      await deps.notices.send(tx, {
        kind: "identity_changed",
        to: user.email,
        change: "linked",
        provider: input.provider,
      });
      return commit(row);
    });
  } catch (error) {
    // Linked by another account at the same moment.
    if (isUniqueViolation(error)) throw linkedElsewhere();
    throw error;
  }
}

const linkedElsewhere = () => alreadyExists("this identity is already linked to another account");

/** LAST_SIGN_IN_METHOD when `row` is the account's only way in (no password, no other identity). */
async function keepAWayIn(
  reads: Pick<Repositories, "identities">,
  user: { passwordHash: string },
  row: LinkedIdentityRecord,
): Promise<void> {
  const others = (await reads.identities.listOfUser(row.userId)).filter((i) => i.id !== row.id);
  if (!hasPassword(user.passwordHash) && others.length === 0) {
    throw withReason(
      "LAST_SIGN_IN_METHOD",
      failedPrecondition(
        "this identity is the account's only way to sign in: set a password (RequestPasswordReset) or link another identity first",
      ),
    );
  }
}

export async function unlinkIdentity(
  deps: Pick<IdentityDeps, "uow" | "clock" | "notices" | "reauth">,
  caller: IdentityCaller,
  identityId: string,
  currentPassword: string,
  client: ClientInfo,
): Promise<void> {
  const { userId } = caller;
  // Whether it may go at all before the password: a refusal costs no guess.
  await deps.uow.read(async (reads) =>
    keepAWayIn(reads, await getUserOrThrow(reads, userId), await ownIdentity(reads, userId, identityId)),
  );
  await deps.reauth.confirm(caller, currentPassword, { purpose: "to unlink an identity" });
  await deps.uow.run(async (tx) => {
    const now = deps.clock.now();
    // Writing the account row first serialises concurrent unlinks of one account (PostgreSQL
    // row lock), so two of them cannot each leave the other as the last way in and both go.
    await tx.accounts.update(userId, { updatedAt: now });
    const user = await getUserOrThrow(tx, userId);
    const row = await ownIdentity(tx, userId, identityId);
    await keepAWayIn(tx, user, row);
    await tx.identities.delete(row.id);
    await tx.audit.record(now, "identity.unlinked", userId, client, { provider: row.provider });
    await deps.notices.send(tx, {
      kind: "identity_changed",
      to: user.email,
      change: "unlinked",
      provider: row.provider,
    });
    return commit(undefined);
  });
}

/** The tokens stored for an identity, and when they were (null when none were given). */
export type StoredProviderTokens = ProviderTokens & { updatedAt: number | null };

/** The stored tokens of one of the caller's identities; another's answers not_found before the password. */
export async function getProviderTokens(
  deps: Pick<IdentityDeps, "uow" | "box" | "reauth">,
  caller: IdentityCaller,
  identityId: string,
  currentPassword: string,
): Promise<StoredProviderTokens> {
  await deps.uow.read((reads) => ownIdentity(reads, caller.userId, identityId));
  await deps.reauth.confirm(caller, currentPassword, { purpose: "to read provider tokens" });
  // Read again after the password: the tokens a concurrent sign-in stored meanwhile, or none if unlinked.
  const row = await deps.uow.read((reads) => ownIdentity(reads, caller.userId, identityId));
  if (row.tokensSealed === null) return { accessToken: "", refreshToken: "", updatedAt: null };
  return { ...openTokens(deps.box, row.id, row.tokensSealed), updatedAt: row.tokensUpdatedAt };
}
