// Adding, activating and removing factors. Every factor change, the first included, re-authenticates
// the caller, as ASVS 7.5.1 asks before changing authentication settings: the account password,
// and a recent second factor when the account already has one. Without the password, a stolen
// access token could enrol a factor of its own as the account's first: a later password reset
// would then ask the owner for the attacker's code. argon2 (the password, recovery codes) runs
// before the transactions, never inside one.

import { MfaAuthenticatorEntity } from "../../store/entities/mfa.js";
import type { UserEntity } from "../../store/entities/user.js";
import type { Store } from "../../store/store.js";
import type { AuditContext } from "../audit.js";
import type { Caller as SignedInCaller } from "../callers.js";
import { invalidArgument } from "../errors.js";
import type { AuthenticatorSummary } from "../ports.js";
import { commit, commitThenFail, settle } from "../unit-of-work.js";
import { activeUser, checkAuthenticatorId, ownAuthenticator, summarise } from "./authenticators.js";
import type { MfaDeps } from "./deps.js";
import {
  activated,
  enrolBinding,
  newHashedRecoveryCodes,
  removeAuthenticator,
  startEmail,
  startSms,
  startTotp,
  storeRecoveryCodes,
} from "./enrolment.js";
import { limitRegenerations, limitSends } from "./limits.js";
import { checkCodeProof, type Proof, reserveProofAttempt } from "./proof.js";
import { recordStepUp, requireRecentSecondFactor } from "./step-up.js";
import { checkCode, prepareRecoveryCode } from "./verify-code.js";

export type Caller = Pick<SignedInCaller, "userId" | "sessionId">;
export type SessionCaller = Caller & { sessionId: string };

export interface CreatedAuthenticator {
  authenticator: AuthenticatorSummary;
  totp?: { secret: string; uri: string; qrCode: string };
  recoveryCodes?: string[];
}

/**
 * Checks the step-up first (cheap: no password is counted when it is missing), then runs
 * `beforePassword` (rate limits, counted before the expensive check), then checks the password
 * outside any transaction. Wrong passwords count towards the account's re-authentication limit.
 */
export async function reauthenticate(
  deps: MfaDeps,
  store: Store,
  caller: Caller,
  password: string,
  field: string,
  beforePassword: () => Promise<void> = async () => {},
): Promise<UserEntity> {
  if (password === "") throw invalidArgument(field, "is required to change second factors");
  const user = await store.transaction(async (em) => {
    const user = await activeUser(em, caller.userId);
    await requireRecentSecondFactor(em, caller, deps.clock.now());
    return user;
  });
  await beforePassword();
  await deps.passwords.confirm(user.id, user.passwordHash, password, field);
  return user;
}

/** Starts enrolling a factor; recovery codes are a new active set at once. */
export async function createFactor(
  deps: MfaDeps,
  store: Store,
  caller: Caller,
  type: MfaAuthenticatorEntity["type"],
  mobile: string,
  currentPassword: string,
  context: AuditContext,
): Promise<CreatedAuthenticator> {
  await reauthenticate(deps, store, caller, currentPassword, "current_password", async () => {
    if (type === "sms" || type === "email") await limitSends(deps, caller.userId);
    if (type === "recovery_codes") await limitRegenerations(deps, caller.userId);
  });
  const recovery = type === "recovery_codes" ? await newHashedRecoveryCodes(deps) : undefined;
  return store.transaction(async (em): Promise<CreatedAuthenticator> => {
    const user = await activeUser(em, caller.userId);
    await requireRecentSecondFactor(em, caller, deps.clock.now());
    if (recovery) {
      const authenticator = await storeRecoveryCodes(deps, em, user, recovery.hashes, context);
      return { authenticator: await summarise(em, authenticator), recoveryCodes: recovery.codes };
    }
    if (type === "sms") return { authenticator: await summarise(em, await startSms(deps, em, user, mobile)) };
    if (type === "email") return { authenticator: await summarise(em, await startEmail(deps, em, user)) };
    const { authenticator, ...totp } = await startTotp(deps, em, user);
    return { authenticator: await summarise(em, authenticator), totp };
  });
}

/** Activates a pending factor with its first code; counts as a step-up for the session. */
export async function activateFactor(
  deps: MfaDeps,
  store: Store,
  caller: SessionCaller,
  id: string,
  code: string,
  currentPassword: string,
  context: AuditContext,
): Promise<AuthenticatorSummary> {
  checkAuthenticatorId(id);
  await reauthenticate(deps, store, caller, currentPassword, "current_password");
  return settle(
    await store.transaction(async (em) => {
      const user = await activeUser(em, caller.userId);
      const a = await ownAuthenticator(em, user.id, id);
      if (a.active) return commitThenFail(invalidArgument("authenticator_id", "is already active"));
      await requireRecentSecondFactor(em, caller, deps.clock.now());
      const check = await checkCode(deps, em, a, code, enrolBinding(a.id), () =>
        invalidArgument("code", "is wrong or has expired"),
      );
      if (!check.ok) return commitThenFail(check.error);
      const now = deps.clock.now();
      await em.update(MfaAuthenticatorEntity, { id: a.id }, { active: true, lastUsedAt: now });
      Object.assign(a, { active: true, lastUsedAt: now });
      await activated(deps, em, user, a, context);
      // The user just proved the new factor within this session.
      await recordStepUp(em, caller.sessionId, user.id, now, deps.stepUpTtlSeconds);
      return commit(await summarise(em, a));
    }),
  );
}

/**
 * Removes a factor. A password is not a second factor: with it, a recent step-up is needed too.
 * A current TOTP or recovery code is one, and is proof enough.
 */
export async function removeFactor(
  deps: MfaDeps,
  store: Store,
  caller: Caller,
  id: string,
  proof: Proof,
  context: AuditContext,
): Promise<void> {
  await store.transaction((em) => ownAuthenticator(em, caller.userId, id));
  if (proof.kind === "password") {
    await reauthenticate(deps, store, caller, proof.password, "password");
    return store.transaction(async (em) => {
      const user = await activeUser(em, caller.userId);
      await removeAuthenticator(deps, em, user, await ownAuthenticator(em, user.id, id), context);
    });
  }
  await reserveProofAttempt(deps, store, caller.userId, proof.code);
  const prepared = await prepareRecoveryCode(deps, store, caller.userId, proof.code);
  return settle(
    await store.transaction(async (em) => {
      const user = await activeUser(em, caller.userId);
      const a = await ownAuthenticator(em, user.id, id);
      const failed = await checkCodeProof(deps, em, user, proof.code, prepared);
      if (failed) return commitThenFail(failed);
      await removeAuthenticator(deps, em, user, a, context);
      return commit(undefined);
    }),
  );
}
