// Reading authenticators: the caller's list, one by id, and the summary shape the rest of the app
// sees (never a secret).
import type { EntityManager } from "typeorm";
import { MfaAuthenticatorEntity, MfaRecoveryCodeEntity } from "../../store/entities/mfa.js";
import { UserEntity } from "../../store/entities/user.js";
import { findOneStrict, findStrict } from "../../store/guard.js";
import { invalidArgument, notFound, unauthenticated } from "../errors.js";
import type { AuthenticatorSummary } from "../ports.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** "+44••••••123" for numbers, "a•••@example.com" for addresses. */
export function maskDestination(destination: string): string {
  if (destination === "") return "";
  const at = destination.indexOf("@");
  if (at > 0) return `${destination[0]}•••${destination.slice(at)}`;
  if (destination.length <= 6) return "•".repeat(destination.length);
  return `${destination.slice(0, 3)}${"•".repeat(destination.length - 6)}${destination.slice(-3)}`;
}

async function remainingCodes(em: EntityManager, authenticatorId: string): Promise<number> {
  return em
    .createQueryBuilder(MfaRecoveryCodeEntity, "c")
    .where("c.authenticator_id = :id AND c.used_at IS NULL", { id: authenticatorId })
    .getCount();
}

export async function summarise(em: EntityManager, a: MfaAuthenticatorEntity): Promise<AuthenticatorSummary> {
  return {
    id: a.id,
    type: a.type,
    active: a.active,
    destinationHint: maskDestination(a.destination),
    remainingCodes: a.type === "recovery_codes" ? await remainingCodes(em, a.id) : 0,
    createdAt: a.createdAt,
    lastUsedAt: a.lastUsedAt,
  };
}

export async function listAuthenticators(
  em: EntityManager,
  userId: string,
): Promise<MfaAuthenticatorEntity[]> {
  return findStrict(em, MfaAuthenticatorEntity, { userId }, { createdAt: "ASC" });
}

export async function activeAuthenticators(
  em: EntityManager,
  userId: string,
): Promise<MfaAuthenticatorEntity[]> {
  return findStrict(em, MfaAuthenticatorEntity, { userId, active: true }, { createdAt: "ASC" });
}

/** True when the user has an active factor, recovery codes with none left excepted. */
export async function hasActiveFactor(em: EntityManager, userId: string): Promise<boolean> {
  for (const a of await activeAuthenticators(em, userId)) {
    if (a.type !== "recovery_codes" || (await remainingCodes(em, a.id)) > 0) return true;
  }
  return false;
}

export function checkAuthenticatorId(id: string, field = "authenticator_id"): string {
  if (id === "") throw invalidArgument(field, "is required");
  if (!UUID.test(id)) throw invalidArgument(field, "is not an authenticator id");
  return id;
}

/** One of the user's authenticators; NotFound for anybody else's (no probing of other ids). */
export async function ownAuthenticator(
  em: EntityManager,
  userId: string,
  id: string,
  field = "authenticator_id",
): Promise<MfaAuthenticatorEntity> {
  checkAuthenticatorId(id, field);
  const a = await findOneStrict(em, MfaAuthenticatorEntity, { id, userId });
  if (!a) throw notFound("no such authenticator");
  return a;
}

export async function activeUser(em: EntityManager, userId: string): Promise<UserEntity> {
  const user = await findOneStrict(em, UserEntity, { id: userId });
  if (user?.status !== "active") throw unauthenticated("the account is not active");
  return user;
}
