// Reading and writing linked identities, inside the caller's transaction.
import { randomUUID } from "node:crypto";
import { invalidArgument, notFound } from "../errors.js";
import type { IdentityRepositories } from "../persistence.js";
import type { SecretBox } from "../secret-box.js";
import type { Transaction } from "../unit-of-work.js";
import type { VerifiedIdentity } from "./id-token.js";
import type { IdentityChanges, LinkedIdentityRecord } from "./persistence.js";
import { type ProviderTokens, sealTokens } from "./provider-tokens.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** One of the user's identities, by the id a client sent; NotFound for anybody else's. */
export async function ownIdentity(
  reads: IdentityRepositories,
  userId: string,
  id: string,
): Promise<LinkedIdentityRecord> {
  if (id === "") throw invalidArgument("identity_id", "is required");
  if (!UUID.test(id)) throw invalidArgument("identity_id", "is not an identity id");
  const row = await reads.identities.findOfUser(userId, id);
  if (!row) throw notFound("identity_id: no such identity on this account");
  return row;
}

export async function insertIdentity(
  tx: Transaction<IdentityRepositories>,
  box: SecretBox,
  user: { id: string; tenantId: string },
  provider: string,
  identity: VerifiedIdentity,
  tokens: ProviderTokens | null,
  now: number,
): Promise<LinkedIdentityRecord> {
  const id = randomUUID();
  const row: LinkedIdentityRecord = {
    id,
    userId: user.id,
    tenantId: user.tenantId,
    provider,
    subject: identity.subject,
    email: identity.email.slice(0, 320),
    tokensSealed: tokens ? sealTokens(box, id, tokens) : null,
    tokensUpdatedAt: tokens ? now : null,
    createdAt: now,
    lastSignInAt: now,
  };
  await tx.identities.insert(row);
  return row;
}

/** A sign-in (or a repeated link) with a known identity: its time, email and tokens, when given. */
export async function touchIdentity(
  tx: Transaction<IdentityRepositories>,
  box: SecretBox,
  row: LinkedIdentityRecord,
  identity: VerifiedIdentity,
  tokens: ProviderTokens | null,
  now: number,
): Promise<LinkedIdentityRecord> {
  const changes: IdentityChanges = { lastSignInAt: now, email: identity.email.slice(0, 320) };
  if (tokens) Object.assign(changes, { tokensSealed: sealTokens(box, row.id, tokens), tokensUpdatedAt: now });
  await tx.identities.update(row.id, changes);
  return { ...row, ...changes };
}
