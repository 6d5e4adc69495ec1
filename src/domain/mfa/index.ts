// The second factor's face: one method per MfaService use case, each its own unit of work (slow
// work, argon2 for passwords and recovery codes, runs before it, never inside). Wrong codes are
// answered as `commitThenFail` from the transaction, so lockout counts survive the failed request
// (see unit-of-work.ts). Handlers import the feature only from here (and domain/errors.ts,
// domain/callers.ts, domain/paging.ts, domain/ports.ts for ClientInfo).
//
// What other features call inside their own transactions (Login's challenge, the trusted devices a
// password change forgets) is not on this face: it is the SecondFactorGate of gate.ts, wired apart.
import type { SessionCaller } from "../callers.js";
import type { Page, PageRequest } from "../paging.js";
import type { AuthenticatorSummary, ClientInfo, TrustedDeviceView } from "../ports.js";
import { type AuthenticatorListFilter, getAuthenticator, listAuthenticators } from "./authenticators.js";
import {
  type ChallengeAnswer,
  type ChallengeResult,
  deliverChallenge,
  verifyChallenge,
} from "./challenges.js";
import type { MfaDeps } from "./deps.js";
import {
  activateFactor,
  type CreatedAuthenticator,
  createFactor,
  type FactorActivation,
  type FactorRemoval,
  type NewAuthenticator,
  removeFactor,
} from "./factor-change.js";
import { resendMobileVerification, verifyMobile } from "./mobile.js";
import { stepUp } from "./step-up.js";
import { listTrustedDevices, revokeTrustedDevice } from "./trusted-devices.js";

export type { AuthenticatorSummary, LoginChallenge, TrustedDeviceView } from "../ports.js";
export type { AuthenticatorListFilter } from "./authenticators.js";
export type { ChallengeAnswer, ChallengeResult } from "./challenges.js";
export type { MfaDeps } from "./deps.js";
export type {
  CreatedAuthenticator,
  FactorActivation,
  FactorRemoval,
  NewAuthenticator,
} from "./factor-change.js";
export { createSecondFactorGate } from "./gate.js";
export type { AuthenticatorKind } from "./persistence.js";
export type { Proof } from "./proof.js";
export { purgeExpired } from "./purge.js";

/**
 * MfaService's use cases. Every method but the two challenge ones acts for a signed-in session
 * (`caller`), on the caller's own factors and devices: anybody else's answer NotFound, as unknown
 * ids do. An account that is not active answers Unauthenticated.
 */
export interface Mfa {
  /**
   * ListAuthenticators: one page of the caller's factors, newest first, pending ones included,
   * narrowed by `filter` (a page token holds its filter). InvalidArgument names a bad paging field.
   */
  listAuthenticators(
    caller: SessionCaller,
    page: PageRequest,
    filter: AuthenticatorListFilter,
  ): Promise<Page<AuthenticatorSummary>>;

  /** GetAuthenticator: one of the caller's factors. InvalidArgument for a malformed id. */
  getAuthenticator(caller: SessionCaller, authenticatorId: string): Promise<AuthenticatorSummary>;

  /**
   * CreateAuthenticator: re-authenticates (the password, and a recent step-up when the account has
   * a factor: PermissionDenied STEP_UP_REQUIRED otherwise), then starts a factor. TOTP answers its
   * secret, URI and QR code, and SMS and email send their first code (pending until verified);
   * recovery codes are a new active set at once, answered in clear this once, replacing the old.
   * ResourceExhausted past the sends, new sets of recovery codes or passwords allowed;
   * FailedPrecondition for email codes on an unverified address; InvalidArgument names the field.
   */
  createAuthenticator(
    caller: SessionCaller,
    input: NewAuthenticator,
    client: ClientInfo,
  ): Promise<CreatedAuthenticator>;

  /**
   * VerifyAuthenticator: re-authenticates as CreateAuthenticator does, then activates a pending
   * factor with its first code; counts as a step-up for the session, and ends the other sessions
   * in the same transaction when asked. InvalidArgument for a wrong code (`code`) or a factor
   * already active; ResourceExhausted while the factor is locked after wrong codes.
   */
  verifyAuthenticator(
    caller: SessionCaller,
    input: FactorActivation,
    client: ClientInfo,
  ): Promise<AuthenticatorSummary>;

  /**
   * DeleteAuthenticator: removes a factor with the password (and a recent step-up) or a current
   * TOTP or recovery code as proof. Removing an active factor forgets every trusted device and
   * tells the owner; the other sessions end in the same transaction when asked. InvalidArgument
   * for a wrong code (`code`); ResourceExhausted while code proofs or passwords are locked.
   */
  deleteAuthenticator(caller: SessionCaller, input: FactorRemoval, client: ClientInfo): Promise<void>;

  /**
   * DeliverChallenge: sends the SMS or email code of a sign-in challenge to one of its factors;
   * answers when the code expires (epoch ms). Unauthenticated CHALLENGE_EXPIRED for an unknown,
   * used or expired challenge; InvalidArgument for a factor that takes no sent code;
   * FailedPrecondition for one not active; ResourceExhausted past the sends allowed.
   */
  deliverChallenge(challengeId: string, authenticatorId: string): Promise<number>;

  /**
   * VerifyChallenge: answers a sign-in challenge with a code and ends the sign-in: a session with
   * the challenge's options (its tokens, and how Login asked for them) and a trusted device's token
   * when asked. Unauthenticated for a wrong or used code and for an unknown, used or expired
   * challenge; ResourceExhausted while the factor is locked after wrong codes.
   */
  verifyChallenge(answer: ChallengeAnswer): Promise<ChallengeResult>;

  /**
   * StepUp: proves one of the caller's active factors within the session; answers until when it
   * counts (epoch ms). For SMS and email an empty code sends one and answers null; the next call
   * carries it. Unauthenticated for a wrong or used code; InvalidArgument for a pending factor;
   * ResourceExhausted while the factor is locked or past the sends allowed.
   */
  stepUp(caller: SessionCaller, authenticatorId: string, code: string): Promise<number | null>;

  /** ListTrustedDevices: one page of the caller's devices still trusted, newest first. */
  listTrustedDevices(caller: SessionCaller, page: PageRequest): Promise<Page<TrustedDeviceView>>;

  /** RevokeTrustedDevice: forgets one of the caller's devices. InvalidArgument for a malformed id. */
  revokeTrustedDevice(caller: SessionCaller, deviceId: string, client: ClientInfo): Promise<void>;

  /**
   * VerifyMobile: marks the profile's mobile number verified with the code sent to it.
   * InvalidArgument for a wrong code; ResourceExhausted while locked after wrong codes;
   * FailedPrecondition without a number; AlreadyExists when another account holds it verified.
   */
  verifyMobile(caller: SessionCaller, code: string): Promise<void>;

  /**
   * ResendMobileVerification: sends a new code to the profile's number. FailedPrecondition without
   * a number or when it is verified already; ResourceExhausted past the sends allowed.
   */
  resendMobileVerification(caller: SessionCaller): Promise<void>;
}

export function createMfa(deps: MfaDeps): Mfa {
  return {
    listAuthenticators: (caller, page, filter) => listAuthenticators(deps, caller.userId, page, filter),
    getAuthenticator: (caller, id) => getAuthenticator(deps, caller.userId, id),
    createAuthenticator: (caller, input, client) => createFactor(deps, caller, input, client),
    verifyAuthenticator: (caller, input, client) => activateFactor(deps, caller, input, client),
    deleteAuthenticator: (caller, input, client) => removeFactor(deps, caller, input, client),
    deliverChallenge: (challengeId, authenticatorId) => deliverChallenge(deps, challengeId, authenticatorId),
    verifyChallenge: (answer) => verifyChallenge(deps, answer),
    stepUp: (caller, authenticatorId, code) => stepUp(deps, caller, authenticatorId, code),
    listTrustedDevices: (caller, page) => listTrustedDevices(deps, caller.userId, page),
    revokeTrustedDevice: (caller, deviceId, client) =>
      revokeTrustedDevice(deps, caller.userId, deviceId, client),
    verifyMobile: (caller, code) => verifyMobile(deps, caller.userId, code),
    resendMobileVerification: (caller) => resendMobileVerification(deps, caller.userId),
  };
}
