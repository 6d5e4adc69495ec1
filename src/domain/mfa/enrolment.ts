// Adding and activating authenticators. TOTP, SMS and email start pending and become active with
// their first valid code; enrolling the same kind again replaces a pending one. Recovery codes are
// active at once and replace the previous set.
import { randomUUID } from "node:crypto";
import type { EntityManager } from "typeorm";
import {
  type AuthenticatorKind,
  MfaAuthenticatorEntity,
  MfaRecoveryCodeEntity,
} from "../../store/entities/mfa.js";
import type { UserEntity } from "../../store/entities/user.js";
import { findStrict } from "../../store/guard.js";
import { recordAudit } from "../../store/repositories/audit.js";
import { txOf } from "../../store/unit-of-work.js";
import type { AuditContext } from "../audit.js";
import { failedPrecondition, invalidArgument } from "../errors.js";
import { newRecoveryCodes, normaliseRecoveryCode } from "./codes.js";
import type { MfaDeps } from "./deps.js";
import { clearFailures, lockoutKey } from "./failures.js";
import { qrCodeDataUrl } from "./qr.js";
import { forgetCodes, sendCode } from "./sent-codes.js";
import { newTotpSecret, totpUri } from "./totp.js";
import { revokeAllTrustedDevices } from "./trusted-devices.js";
import { totpAad } from "./verify-code.js";

const E164 = /^\+[1-9]\d{6,14}$/;

export const enrolBinding = (authenticatorId: string) => `enrol:${authenticatorId}`;

export interface TotpEnrolment {
  authenticator: MfaAuthenticatorEntity;
  secret: string;
  uri: string;
  qrCode: string;
}

async function replacePending(em: EntityManager, userId: string, type: AuthenticatorKind): Promise<void> {
  for (const old of await findStrict(em, MfaAuthenticatorEntity, { userId, type, active: false })) {
    await forgetCodes(em, enrolBinding(old.id));
    await clearFailures(em, lockoutKey(old));
    await em.delete(MfaAuthenticatorEntity, { id: old.id });
  }
}

function newAuthenticator(userId: string, type: AuthenticatorKind, now: number): MfaAuthenticatorEntity {
  const a = new MfaAuthenticatorEntity();
  Object.assign(a, {
    id: randomUUID(),
    userId,
    type,
    active: false,
    secretSealed: null,
    destination: "",
    lastUsedStep: null,
    createdAt: now,
    lastUsedAt: null,
  });
  return a;
}

export async function startTotp(deps: MfaDeps, em: EntityManager, user: UserEntity): Promise<TotpEnrolment> {
  await replacePending(em, user.id, "totp");
  const a = newAuthenticator(user.id, "totp", deps.clock.now());
  const secret = newTotpSecret();
  a.secretSealed = deps.box.seal(secret, totpAad(a.id));
  await em.insert(MfaAuthenticatorEntity, a);
  const uri = totpUri(secret, deps.totpIssuer, user.email);
  return { authenticator: a, secret, uri, qrCode: await qrCodeDataUrl(uri) };
}

export function checkMobile(mobile: string, field = "mobile"): string {
  const trimmed = mobile.trim();
  if (trimmed === "") throw invalidArgument(field, "is required");
  if (!E164.test(trimmed)) throw invalidArgument(field, "must be an E.164 number like +447700900123");
  return trimmed;
}

/** Starts an SMS factor: the number is confirmed by the code sent to it. */
export async function startSms(
  deps: MfaDeps,
  em: EntityManager,
  user: UserEntity,
  mobile: string,
): Promise<MfaAuthenticatorEntity> {
  const number = mobile.trim() === "" && user.mobileVerified ? user.mobile : checkMobile(mobile);
  await replacePending(em, user.id, "sms");
  const a = newAuthenticator(user.id, "sms", deps.clock.now());
  a.destination = number;
  await em.insert(MfaAuthenticatorEntity, a);
  await sendCode(em, deps, deps.clock.now(), {
    binding: enrolBinding(a.id),
    userId: user.id,
    channel: "sms",
    destination: number,
    purpose: "adding this number as a second factor",
  });
  return a;
}

export async function startEmail(
  deps: MfaDeps,
  em: EntityManager,
  user: UserEntity,
): Promise<MfaAuthenticatorEntity> {
  if (!user.emailVerified)
    throw failedPrecondition("verify the account's email before using it as a second factor");
  await replacePending(em, user.id, "email");
  const a = newAuthenticator(user.id, "email", deps.clock.now());
  a.destination = user.email;
  await em.insert(MfaAuthenticatorEntity, a);
  await sendCode(em, deps, deps.clock.now(), {
    binding: enrolBinding(a.id),
    userId: user.id,
    channel: "email",
    destination: user.email,
    purpose: "adding email codes as a second factor",
  });
  return a;
}

export interface HashedRecoveryCodes {
  codes: string[];
  hashes: string[];
}

/**
 * Draws ten codes and hashes them (argon2id, slow): called before the transaction that stores
 * them, never inside one.
 */
export async function newHashedRecoveryCodes(deps: MfaDeps): Promise<HashedRecoveryCodes> {
  const codes = newRecoveryCodes();
  const hashes = [];
  // One after another: a request never holds more than one worker thread.
  for (const code of codes) hashes.push(await deps.hasher.hash(normaliseRecoveryCode(code)));
  return { codes, hashes };
}

/** Stores a fresh set of codes, active at once; the previous set stops working. */
export async function storeRecoveryCodes(
  deps: MfaDeps,
  em: EntityManager,
  user: UserEntity,
  hashes: string[],
  context: AuditContext,
): Promise<MfaAuthenticatorEntity> {
  for (const old of await findStrict(em, MfaAuthenticatorEntity, {
    userId: user.id,
    type: "recovery_codes",
  })) {
    // The lockout stays: it counts per user (see lockoutKey), so a new set does not reset it.
    await em.delete(MfaRecoveryCodeEntity, { authenticatorId: old.id });
    await em.delete(MfaAuthenticatorEntity, { id: old.id });
  }
  const a = newAuthenticator(user.id, "recovery_codes", deps.clock.now());
  a.active = true;
  await em.insert(MfaAuthenticatorEntity, a);
  const rows = hashes.map((codeHash) => ({
    id: randomUUID(),
    authenticatorId: a.id,
    codeHash,
    usedAt: null,
  }));
  await em.insert(MfaRecoveryCodeEntity, rows);
  await activated(deps, em, user, a, context);
  return a;
}

/** Records and announces a newly active factor. */
export async function activated(
  deps: MfaDeps,
  em: EntityManager,
  user: UserEntity,
  a: MfaAuthenticatorEntity,
  context: AuditContext,
): Promise<void> {
  await recordAudit(em, deps.clock.now(), "mfa.enrolled", user.id, context, {
    authenticatorId: a.id,
    type: a.type,
  });
  await deps.notices.send(txOf(em), {
    kind: "second_factor_changed",
    to: user.email,
    factor: a.type,
    change: "added",
  });
}

/** Removes a factor with everything attached to it, and tells the owner. */
export async function removeAuthenticator(
  deps: MfaDeps,
  em: EntityManager,
  user: UserEntity,
  a: MfaAuthenticatorEntity,
  context: AuditContext,
): Promise<void> {
  await em.delete(MfaRecoveryCodeEntity, { authenticatorId: a.id });
  await forgetCodes(em, enrolBinding(a.id));
  await clearFailures(em, lockoutKey(a));
  await em.delete(MfaAuthenticatorEntity, { id: a.id });
  // A remembered device stands in for the second factor; the owner removing a factor may be
  // shutting out whoever passed it (a phished code), so every remembered device is forgotten.
  if (a.active) await revokeAllTrustedDevices(em, user.id);
  await recordAudit(em, deps.clock.now(), "mfa.removed", user.id, context, {
    authenticatorId: a.id,
    type: a.type,
  });
  if (a.active)
    await deps.notices.send(txOf(em), {
      kind: "second_factor_changed",
      to: user.email,
      factor: a.type,
      change: "removed",
    });
}
