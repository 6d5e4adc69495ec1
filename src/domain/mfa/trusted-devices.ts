// Remembered devices: a random token (stored hashed) that lets Login skip the second factor for one
// account. It never replaces the password, and it can be revoked one by one or all at once.
import { randomUUID } from "node:crypto";
import type { Transaction } from "../persistence.js";
import type { ClientInfo } from "../ports.js";
import { hashSecret, randomToken } from "../secrets.js";
import type { TrustedDeviceRecord } from "./persistence.js";

const PREFIX = "dev_";

export async function rememberDevice(
  tx: Transaction,
  userId: string,
  client: ClientInfo,
  now: number,
  ttlSeconds: number,
): Promise<string> {
  const token = `${PREFIX}${randomToken(32)}`;
  await tx.mfa.trustedDevices.insert({
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
  tx: Transaction,
  userId: string,
  token: string | undefined,
  now: number,
): Promise<boolean> {
  if (token === undefined || !token.startsWith(PREFIX) || token.length > 128) return false;
  const row = await tx.mfa.trustedDevices.findByTokenHash(hashSecret(token));
  return row !== null && row.userId === userId && row.expiresAt > now;
}

export async function listTrustedDevices(
  tx: Transaction,
  userId: string,
  now: number,
): Promise<TrustedDeviceRecord[]> {
  const rows = await tx.mfa.trustedDevices.listOfUser(userId);
  return rows.filter((d) => d.expiresAt > now);
}

/** Answers false when the device is not one of the user's. */
export function revokeTrustedDevice(tx: Transaction, userId: string, deviceId: string): Promise<boolean> {
  return tx.mfa.trustedDevices.deleteOfUser(userId, deviceId);
}

export function revokeAllTrustedDevices(tx: Transaction, userId: string): Promise<number> {
  return tx.mfa.trustedDevices.deleteAllOfUser(userId);
}
