// Reading and writing linked identities, inside the caller's transaction.
import { randomUUID } from "node:crypto";
import type { EntityManager } from "typeorm";
import { LinkedIdentityEntity } from "../../store/entities/linked-identity.js";
import { findOneStrict } from "../../store/guard.js";
import { invalidArgument, notFound } from "../errors.js";
import type { SecretBox } from "../secret-box.js";
import type { VerifiedIdentity } from "./id-token.js";
import { type ProviderTokens, sealTokens } from "./provider-tokens.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function findIdentity(em: EntityManager, provider: string, subject: string) {
  return findOneStrict(em, LinkedIdentityEntity, { provider, subject });
}

/** One of the user's identities, by the id a client sent; NotFound for anybody else's. */
export async function ownIdentity(
  em: EntityManager,
  userId: string,
  id: string,
): Promise<LinkedIdentityEntity> {
  if (id === "") throw invalidArgument("identity_id", "is required");
  if (!UUID.test(id)) throw invalidArgument("identity_id", "is not an identity id");
  const row = await findOneStrict(em, LinkedIdentityEntity, { id, userId });
  if (!row) throw notFound("identity_id: no such identity on this account");
  return row;
}

export function listIdentities(em: EntityManager, userId: string): Promise<LinkedIdentityEntity[]> {
  if (!userId) throw new Error("listIdentities needs a user id");
  return em.find(LinkedIdentityEntity, { where: { userId }, order: { createdAt: "ASC", id: "ASC" } });
}

export async function insertIdentity(
  em: EntityManager,
  box: SecretBox,
  userId: string,
  provider: string,
  identity: VerifiedIdentity,
  tokens: ProviderTokens | null,
  now: number,
): Promise<LinkedIdentityEntity> {
  const id = randomUUID();
  const row = em.create(LinkedIdentityEntity, {
    id,
    userId,
    provider,
    subject: identity.subject,
    email: identity.email.slice(0, 320),
    tokensSealed: tokens ? sealTokens(box, id, tokens) : null,
    tokensUpdatedAt: tokens ? now : null,
    createdAt: now,
    lastSignInAt: now,
  });
  await em.insert(LinkedIdentityEntity, row);
  return row;
}

/** A sign-in (or a repeated link) with a known identity: its time, email and tokens, when given. */
export async function touchIdentity(
  em: EntityManager,
  box: SecretBox,
  row: LinkedIdentityEntity,
  identity: VerifiedIdentity,
  tokens: ProviderTokens | null,
  now: number,
): Promise<LinkedIdentityEntity> {
  const changes: Partial<LinkedIdentityEntity> = { lastSignInAt: now, email: identity.email.slice(0, 320) };
  if (tokens) Object.assign(changes, { tokensSealed: sealTokens(box, row.id, tokens), tokensUpdatedAt: now });
  await em.update(LinkedIdentityEntity, { id: row.id }, changes);
  return Object.assign(row, changes);
}
