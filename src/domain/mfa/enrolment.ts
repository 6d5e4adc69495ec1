// Adding and activating authenticators. TOTP, SMS and email start pending and become active with
// their first valid code; enrolling the same kind again replaces a pending one. Recovery codes are
// active at once and replace the previous set.
import { randomUUID } from "node:crypto";
import { checkMobile as checkProfileMobile } from "../accounts/validation.js";
import type { AuditContext } from "../audit.js";
import { failedPrecondition, invalidArgument } from "../errors.js";
import type { MfaRepositories } from "../persistence.js";
import type { Transaction } from "../unit-of-work.js";
import { newRecoveryCodes, normaliseRecoveryCode } from "./codes.js";
import type { MfaDeps } from "./deps.js";
import { clearFailures, lockoutKey } from "./failures.js";
import type { AuthenticatorKind, AuthenticatorRecord, MfaUser } from "./persistence.js";
import { qrCodeDataUrl } from "./qr.js";
import { forgetCodes, sendCode } from "./sent-codes.js";
import { newTotpSecret, totpUri } from "./totp.js";
import { revokeAllTrustedDevices } from "./trusted-devices.js";
import { totpAad } from "./verify-code.js";

export const enrolBinding = (authenticatorId: string) => `enrol:${authenticatorId}`;

/** What recording a change and telling the owner reads. */
type NoticeDeps = Pick<MfaDeps, "clock" | "notices">;
/** What sending a code reads. */
type SendDeps = Pick<MfaDeps, "clock" | "notices" | "codeKey">;

export interface TotpEnrolment {
  authenticator: AuthenticatorRecord;
  secret: string;
  uri: string;
  qrCode: string;
}

async function replacePending(
  tx: Transaction<MfaRepositories>,
  userId: string,
  type: AuthenticatorKind,
): Promise<void> {
  for (const old of await tx.mfa.authenticators.listOfKind(userId, type, false)) {
    await forgetCodes(tx, enrolBinding(old.id));
    await clearFailures(tx, lockoutKey(old));
    await tx.mfa.authenticators.delete(old.id);
  }
}

function newAuthenticator(userId: string, type: AuthenticatorKind, now: number): AuthenticatorRecord {
  return {
    id: randomUUID(),
    userId,
    type,
    active: false,
    secretSealed: null,
    destination: "",
    lastUsedStep: null,
    createdAt: now,
    lastUsedAt: null,
  };
}

export async function startTotp(
  deps: Pick<MfaDeps, "clock" | "box" | "totpIssuer">,
  tx: Transaction<MfaRepositories>,
  user: MfaUser,
): Promise<TotpEnrolment> {
  await replacePending(tx, user.id, "totp");
  const a = newAuthenticator(user.id, "totp", deps.clock.now());
  const secret = newTotpSecret();
  a.secretSealed = deps.box.seal(secret, totpAad(a.id));
  await tx.mfa.authenticators.insert(a);
  const uri = totpUri(secret, deps.totpIssuer, user.email);
  return { authenticator: a, secret, uri, qrCode: await qrCodeDataUrl(uri) };
}

/** The profile's rule for a mobile number (accounts/validation.ts), except that an SMS factor needs one. */
export function checkMobile(mobile: string, field = "mobile"): string {
  if (mobile.trim() === "") throw invalidArgument(field, "is required");
  return checkProfileMobile(mobile, field);
}

/** Starts an SMS factor: the number is confirmed by the code sent to it. */
export async function startSms(
  deps: SendDeps,
  tx: Transaction<MfaRepositories>,
  user: MfaUser,
  mobile: string,
): Promise<AuthenticatorRecord> {
  const number = mobile.trim() === "" && user.mobileVerified ? user.mobile : checkMobile(mobile);
  await replacePending(tx, user.id, "sms");
  const a = newAuthenticator(user.id, "sms", deps.clock.now());
  a.destination = number;
  await tx.mfa.authenticators.insert(a);
  await sendCode(tx, deps, deps.clock.now(), {
    binding: enrolBinding(a.id),
    userId: user.id,
    channel: "sms",
    destination: number,
    purpose: "adding this number as a second factor",
  });
  return a;
}

export async function startEmail(
  deps: SendDeps,
  tx: Transaction<MfaRepositories>,
  user: MfaUser,
): Promise<AuthenticatorRecord> {
  if (!user.emailVerified)
    throw failedPrecondition("verify the account's email before using it as a second factor");
  await replacePending(tx, user.id, "email");
  const a = newAuthenticator(user.id, "email", deps.clock.now());
  a.destination = user.email;
  await tx.mfa.authenticators.insert(a);
  await sendCode(tx, deps, deps.clock.now(), {
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
export async function newHashedRecoveryCodes(deps: Pick<MfaDeps, "hasher">): Promise<HashedRecoveryCodes> {
  const codes = newRecoveryCodes();
  const hashes = [];
  // One after another: a request never holds more than one worker thread.
  for (const code of codes) hashes.push(await deps.hasher.hash(normaliseRecoveryCode(code)));
  return { codes, hashes };
}

/** Stores a fresh set of codes, active at once; the previous set stops working. */
export async function storeRecoveryCodes(
  deps: NoticeDeps,
  tx: Transaction<MfaRepositories>,
  user: MfaUser,
  hashes: string[],
  context: AuditContext,
): Promise<AuthenticatorRecord> {
  for (const old of await tx.mfa.authenticators.listOfKind(user.id, "recovery_codes")) {
    // The lockout stays: it counts per user (see lockoutKey), so a new set does not reset it.
    await tx.mfa.recoveryCodes.deleteOfAuthenticator(old.id);
    await tx.mfa.authenticators.delete(old.id);
  }
  const a = newAuthenticator(user.id, "recovery_codes", deps.clock.now());
  a.active = true;
  await tx.mfa.authenticators.insert(a);
  const rows = hashes.map((codeHash) => ({
    id: randomUUID(),
    authenticatorId: a.id,
    codeHash,
    usedAt: null,
  }));
  await tx.mfa.recoveryCodes.insertMany(rows);
  await activated(deps, tx, user, a, context);
  return a;
}

/** Records and announces a newly active factor. */
export async function activated(
  deps: NoticeDeps,
  tx: Transaction<MfaRepositories>,
  user: MfaUser,
  a: AuthenticatorRecord,
  context: AuditContext,
): Promise<void> {
  await tx.audit.record(deps.clock.now(), "mfa.enrolled", user.id, context, {
    authenticatorId: a.id,
    type: a.type,
  });
  await deps.notices.send(tx, {
    kind: "second_factor_changed",
    to: user.email,
    factor: a.type,
    change: "added",
  });
}

/** Removes a factor with everything attached to it, and tells the owner. */
export async function removeAuthenticator(
  deps: NoticeDeps,
  tx: Transaction<MfaRepositories>,
  user: MfaUser,
  a: AuthenticatorRecord,
  context: AuditContext,
): Promise<void> {
  await tx.mfa.recoveryCodes.deleteOfAuthenticator(a.id);
  await forgetCodes(tx, enrolBinding(a.id));
  await clearFailures(tx, lockoutKey(a));
  await tx.mfa.authenticators.delete(a.id);
  // A remembered device stands in for the second factor; the owner removing a factor may be
  // shutting out whoever passed it (a phished code), so every remembered device is forgotten.
  if (a.active) await revokeAllTrustedDevices(tx, user.id);
  await tx.audit.record(deps.clock.now(), "mfa.removed", user.id, context, {
    authenticatorId: a.id,
    type: a.type,
  });
  if (a.active)
    await deps.notices.send(tx, {
      kind: "second_factor_changed",
      to: user.email,
      factor: a.type,
      change: "removed",
    });
}
