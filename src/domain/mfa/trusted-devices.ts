// Remembered devices: a random token (stored hashed) that lets Login skip the second factor for one
// account. It never replaces the password, and it can be revoked one by one (ListTrustedDevices,
// RevokeTrustedDevice) or all at once (a removed factor, a password change or reset).
import { randomUUID } from "node:crypto";
import type { AuditContext } from "../audit.js";
import { invalidArgument, notFound } from "../errors.js";
import { keysetQuery, type Page, type PageRequest, toPage } from "../paging.js";
import type { MfaRepositories, Repositories } from "../persistence.js";
import type { ClientInfo, TrustedDeviceView } from "../ports.js";
import { hashSecret, randomToken } from "../secrets.js";
import { commit, type Transaction } from "../unit-of-work.js";
import type { MfaDeps } from "./deps.js";
import type { TrustedDeviceRecord } from "./persistence.js";

const PREFIX = "dev_";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export async function rememberDevice(
  tx: Transaction<MfaRepositories>,
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
  reads: Pick<Repositories, "mfa">,
  userId: string,
  token: string | undefined,
  now: number,
): Promise<boolean> {
  if (token === undefined || !token.startsWith(PREFIX) || token.length > 128) return false;
  const row = await reads.mfa.trustedDevices.findByTokenHash(hashSecret(token));
  return row !== null && row.userId === userId && row.expiresAt > now;
}

/** One page of the user's devices still trusted now, newest first (paging.ts). */
export async function listTrustedDevices(
  deps: Pick<MfaDeps, "uow" | "clock">,
  userId: string,
  request: PageRequest,
): Promise<Page<TrustedDeviceView>> {
  const query = keysetQuery("trusted-devices", request);
  const rows = await deps.uow.read((reads) =>
    reads.mfa.trustedDevices.pageOfUser(userId, query, deps.clock.now()),
  );
  const page = toPage("trusted-devices", query, rows, (d) => d);
  return { items: page.items.map(toView), nextPageToken: page.nextPageToken };
}

/** What a list shows of a device: never its token hash. */
function toView({ id, userAgent, ipAddress, createdAt, expiresAt }: TrustedDeviceRecord): TrustedDeviceView {
  return { id, userAgent, ipAddress, createdAt, expiresAt };
}

/** Forgets one of the user's devices; NotFound for anybody else's. */
export async function revokeTrustedDevice(
  deps: Pick<MfaDeps, "uow" | "clock">,
  userId: string,
  deviceId: string,
  context: AuditContext,
): Promise<void> {
  if (deviceId === "") throw invalidArgument("device_id", "is required");
  if (!UUID.test(deviceId)) throw invalidArgument("device_id", "is not a device id");
  await deps.uow.run(async (tx) => {
    if (!(await tx.mfa.trustedDevices.deleteOfUser(userId, deviceId)))
      throw notFound("no such trusted device");
    await tx.audit.record(deps.clock.now(), "trusted_device.revoked", userId, context, { deviceId });
    return commit(undefined);
  });
}

export function revokeAllTrustedDevices(tx: Transaction<MfaRepositories>, userId: string): Promise<number> {
  return tx.mfa.trustedDevices.deleteAllOfUser(userId);
}
