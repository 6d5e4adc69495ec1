// Adding, activating and removing factors. Every factor change, the first included, re-authenticates
// the caller (reauthentication.ts), as ASVS 7.5.1 asks before changing authentication settings: the
// account password, and a recent second factor when the account already has one. Without the
// password, a stolen access token could enrol a factor of its own as the account's first: a later
// password reset would then ask the owner for the attacker's code. argon2 (the password, recovery
// codes) runs before the transactions, never inside one.

import type { AuditContext } from "../audit.js";
import type { Caller as SignedInCaller } from "../callers.js";
import { invalidArgument } from "../errors.js";
import type { MfaRepositories } from "../persistence.js";
import type { AuthenticatorSummary } from "../ports.js";
import { commit, commitThenFail, type Transaction } from "../unit-of-work.js";
import { activeUser, checkAuthenticatorId, ownAuthenticator, summarise } from "./authenticators.js";
import type { MfaDeps } from "./deps.js";
import {
  activated,
  enrolBinding,
  type HashedRecoveryCodes,
  newHashedRecoveryCodes,
  removeAuthenticator,
  startEmail,
  startSms,
  startTotp,
  storeRecoveryCodes,
} from "./enrolment.js";
import { limitRegenerations, limitSends } from "./limits.js";
import type { AuthenticatorKind, MfaUser } from "./persistence.js";
import { checkCodeProof, type Proof, reserveProofAttempt } from "./proof.js";
import { recordStepUp, requireRecentSecondFactor } from "./step-up.js";
import { checkCode, codeFieldErrors, prepareRecoveryCode } from "./verify-code.js";

export type Caller = Pick<SignedInCaller, "userId" | "sessionId">;
export type SessionCaller = Caller & { sessionId: string };

/** CreateAuthenticator's input. */
export interface NewAuthenticator {
  type: AuthenticatorKind;
  /** SMS only: the number codes go to; empty takes the profile's verified number. */
  mobile: string;
  currentPassword: string;
}

export interface CreatedAuthenticator {
  authenticator: AuthenticatorSummary;
  totp?: { secret: string; uri: string; qrCode: string };
  recoveryCodes?: string[];
}

/** VerifyAuthenticator's input: the pending factor and its first code. */
export interface FactorActivation {
  authenticatorId: string;
  code: string;
  currentPassword: string;
  /** Ends every other session of the account, in the activation's transaction (ASVS 7.4.3). */
  signOutOthers: boolean;
}

/** DeleteAuthenticator's input: the factor and the proof that allows removing it. */
export interface FactorRemoval {
  authenticatorId: string;
  proof: Proof;
  /** Ends every other session of the account, in the removal's transaction. */
  signOutOthers: boolean;
}

/**
 * What each factor change reads. Starting one reads the most: re-authentication, the send and
 * regeneration limits, the hasher of recovery codes, the TOTP box and issuer, and the code sender.
 */
type StartDeps = Pick<
  MfaDeps,
  | "uow"
  | "clock"
  | "reauth"
  | "rateLimiter"
  | "codesPerUser"
  | "recoveryCodeRegenerations"
  | "rateLimitWindowSeconds"
  | "hasher"
  | "box"
  | "totpIssuer"
  | "notices"
  | "codeKey"
>;
type ActivateDeps = Pick<
  MfaDeps,
  "uow" | "clock" | "reauth" | "box" | "codeKey" | "notices" | "sessions" | "stepUpTtlSeconds"
>;
type RemoveDeps = Pick<
  MfaDeps,
  "uow" | "clock" | "reauth" | "hasher" | "box" | "codeKey" | "notices" | "sessions"
>;

/**
 * The one re-authentication rule, for factor changes: `beforePassword` (rate limits) is counted
 * after the cheap checks and before the password is.
 */
async function reauthenticate(
  deps: Pick<MfaDeps, "reauth">,
  caller: Caller,
  password: string,
  beforePassword?: () => Promise<void>,
): Promise<void> {
  await deps.reauth.confirm(caller, password, { purpose: "to change second factors", beforePassword });
}

/** Starts enrolling a factor; recovery codes are a new active set at once. */
export async function createFactor(
  deps: StartDeps,
  caller: Caller,
  input: NewAuthenticator,
  context: AuditContext,
): Promise<CreatedAuthenticator> {
  const { type, mobile } = input;
  await reauthenticate(deps, caller, input.currentPassword, async () => {
    if (type === "sms" || type === "email") await limitSends(deps, caller.userId);
    if (type === "recovery_codes") await limitRegenerations(deps, caller.userId);
  });
  const recovery = type === "recovery_codes" ? await newHashedRecoveryCodes(deps) : undefined;
  return deps.uow.run(async (tx) => {
    const user = await activeUser(tx, caller.userId);
    await requireRecentSecondFactor(tx, caller, deps.clock.now());
    return commit(await startFactor(deps, tx, user, type, mobile, recovery, context));
  });
}

/** Stores the new factor in the caller's transaction: pending, or active recovery codes. */
async function startFactor(
  deps: StartDeps,
  tx: Transaction<MfaRepositories>,
  user: MfaUser,
  type: AuthenticatorKind,
  mobile: string,
  recovery: HashedRecoveryCodes | undefined,
  context: AuditContext,
): Promise<CreatedAuthenticator> {
  if (recovery) {
    const authenticator = await storeRecoveryCodes(deps, tx, user, recovery.hashes, context);
    return { authenticator: await summarise(tx, authenticator), recoveryCodes: recovery.codes };
  }
  if (type === "sms") return { authenticator: await summarise(tx, await startSms(deps, tx, user, mobile)) };
  if (type === "email") return { authenticator: await summarise(tx, await startEmail(deps, tx, user)) };
  const { authenticator, ...totp } = await startTotp(deps, tx, user);
  return { authenticator: await summarise(tx, authenticator), totp };
}

/**
 * Activates a pending factor with its first code; counts as a step-up for the session. With
 * `signOutOthers`, ends the account's other sessions in the same transaction (ASVS 7.4.3): both
 * happen, or neither.
 */
export async function activateFactor(
  deps: ActivateDeps,
  caller: SessionCaller,
  input: FactorActivation,
  context: AuditContext,
): Promise<AuthenticatorSummary> {
  const { authenticatorId: id, code } = input;
  checkAuthenticatorId(id);
  await reauthenticate(deps, caller, input.currentPassword);
  return deps.uow.run(async (tx) => {
    const user = await activeUser(tx, caller.userId);
    const a = await ownAuthenticator(tx, user.id, id);
    if (a.active) return commitThenFail(invalidArgument("authenticator_id", "is already active"));
    await requireRecentSecondFactor(tx, caller, deps.clock.now());
    const check = await checkCode(deps, tx, a, code, enrolBinding(a.id), codeFieldErrors);
    if (!check.ok) return commitThenFail(check.error);
    const now = deps.clock.now();
    await tx.mfa.authenticators.activate(a.id, now);
    const active = { ...a, active: true, lastUsedAt: now };
    await activated(deps, tx, user, active, context);
    // The user just proved the new factor within this session.
    await recordStepUp(tx, caller.sessionId, user.id, now, deps.stepUpTtlSeconds);
    if (input.signOutOthers) await deps.sessions.revokeAll(tx, user.id, caller.sessionId);
    return commit(await summarise(tx, active));
  });
}

/**
 * Removes a factor. A password is not a second factor: with it, a recent step-up is needed too.
 * A current TOTP or recovery code is one, and is proof enough. With `signOutOthers`, ends the
 * account's other sessions in the same transaction: both happen, or neither.
 */
export async function removeFactor(
  deps: RemoveDeps,
  caller: Caller,
  input: FactorRemoval,
  context: AuditContext,
): Promise<void> {
  const { authenticatorId: id, proof } = input;
  const endOthers = (tx: Transaction<MfaRepositories>, userId: string) =>
    input.signOutOthers ? deps.sessions.revokeAll(tx, userId, caller.sessionId) : Promise.resolve(0);
  await deps.uow.read((reads) => ownAuthenticator(reads, caller.userId, id));
  if (proof.kind === "password") {
    await reauthenticate(deps, caller, proof.password);
    return deps.uow.run(async (tx) => {
      const user = await activeUser(tx, caller.userId);
      await removeAuthenticator(deps, tx, user, await ownAuthenticator(tx, user.id, id), context);
      await endOthers(tx, user.id);
      return commit(undefined);
    });
  }
  await reserveProofAttempt(deps, caller.userId, proof.code);
  const prepared = await prepareRecoveryCode(deps, caller.userId, proof.code);
  return deps.uow.run(async (tx) => {
    const user = await activeUser(tx, caller.userId);
    const a = await ownAuthenticator(tx, user.id, id);
    const failed = await checkCodeProof(deps, tx, user, proof.code, prepared);
    if (failed) return commitThenFail(failed);
    await removeAuthenticator(deps, tx, user, a, context);
    await endOthers(tx, user.id);
    return commit(undefined);
  });
}
