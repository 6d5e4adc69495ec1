// Remembered devices: a random token (stored hashed) that lets Login skip the second factor for one
// account. It never replaces the password, and it can be revoked one by one or all at once.
import { randomUUID } from "node:crypto";
import type { EntityManager } from "typeorm";
import { MfaTrustedDeviceEntity } from "../../store/entities/mfa.js";
import { findOneStrict, findStrict } from "../../store/guard.js";
import type { ClientInfo } from "../ports.js";
import { hashSecret, randomToken } from "../secrets.js";

const PREFIX = "dev_";

export async function rememberDevice(
  em: EntityManager,
  userId: string,
  client: ClientInfo,
  now: number,
  ttlSeconds: number,
): Promise<string> {
  const token = `${PREFIX}${randomToken(32)}`;
  await em.insert(MfaTrustedDeviceEntity, {
    id: randomUUID(),
    userId,
    tokenHash: hashSecret(token),
    userAgent: client.userAgent.slice(0, 512),
    ipAddress: client.ip.slice(0, 64),
    createdAt: now,
    expiresAt: now + ttlSeconds * 1000,
  });
  return token;
}

/** True when `token` is a live trusted device of this user (and of nobody else). */
export async function isTrustedDevice(
  em: EntityManager,
  userId: string,
  token: string | undefined,
  now: number,
): Promise<boolean> {
  if (token === undefined || !token.startsWith(PREFIX) || token.length > 128) return false;
  const row = await findOneStrict(em, MfaTrustedDeviceEntity, { tokenHash: hashSecret(token) });
  return row !== null && row.userId === userId && row.expiresAt > now;
}

export async function listTrustedDevices(em: EntityManager, userId: string, now: number) {
  const rows = await findStrict(em, MfaTrustedDeviceEntity, { userId }, { createdAt: "DESC" });
  return rows.filter((d) => d.expiresAt > now);
}

/** Answers false when the device is not one of the user's. */
export async function revokeTrustedDevice(
  em: EntityManager,
  userId: string,
  deviceId: string,
): Promise<boolean> {
  const result = await em.delete(MfaTrustedDeviceEntity, { id: deviceId, userId });
  return (result.affected ?? 0) > 0;
}

export async function revokeAllTrustedDevices(em: EntityManager, userId: string): Promise<number> {
  const result = await em.delete(MfaTrustedDeviceEntity, { userId });
  return result.affected ?? 0;
}
