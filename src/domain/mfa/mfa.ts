// The second factor as the handlers and Login see it. Each method writes in one transaction of its
// own unit of work; slow work (argon2 for passwords and recovery codes) runs before it, never
// inside. Wrong codes are answered as `commitThenFail` from the transaction, so lockout counts
// survive the failed request (see unit-of-work.ts).
import { isUniqueViolation } from "../accounts/users.js";
import type { AuditContext } from "../audit.js";
import type { SessionCaller } from "../callers.js";
import { invalidArgument, notFound } from "../errors.js";
import type { Page, PageRequest } from "../paging.js";
import type { MfaRepositories, Repositories } from "../persistence.js";
import type {
  AuthenticatorSummary,
  ClientInfo,
  LoginChallenge,
  LoginOptions,
  SecondFactorGate,
  TrustedDeviceView,
} from "../ports.js";
import { commit, commitThenFail, type Transaction, type UnitOfWork } from "../unit-of-work.js";
import {
  type AuthenticatorListFilter,
  checkAuthenticatorId,
  hasActiveFactor,
  ownAuthenticator,
  pageAuthenticators,
  summarise,
} from "./authenticators.js";
import {
  type ChallengeAnswer,
  type ChallengeResult,
  challengeOwner,
  createChallenge,
  deliverChallenge,
  verifyChallenge,
} from "./challenges.js";
import type { MfaDeps } from "./deps.js";
import { activateFactor, type CreatedAuthenticator, createFactor, removeFactor } from "./factor-change.js";
import { limitSends } from "./limits.js";
import { mobileTaken, sendMobileVerification, verifyMobile } from "./mobile.js";
import type { AuthenticatorKind } from "./persistence.js";
import type { Proof } from "./proof.js";
import { purgeExpired } from "./purge.js";
import { sendCode } from "./sent-codes.js";
import { recordStepUp } from "./step-up.js";
import {
  isTrustedDevice,
  pageTrustedDevices,
  revokeAllTrustedDevices,
  revokeTrustedDevice,
} from "./trusted-devices.js";
import { checkCode, codeErrors, prepareRecoveryCode } from "./verify-code.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const stepUpBinding = (sessionId: string, authenticatorId: string) =>
  `stepup:${sessionId}:${authenticatorId}`;

export class Mfa implements SecondFactorGate {
  constructor(
    private readonly deps: MfaDeps,
    private readonly uow: UnitOfWork<MfaRepositories>,
  ) {}

  /** Deletes expired challenges, codes, trusted devices and step-ups. */
  purgeExpired(): Promise<void> {
    return purgeExpired(this.uow, this.deps.clock.now());
  }

  // ---- SecondFactorGate (Login, password change and reset) ----

  async isRequired(
    reads: Pick<Repositories, "mfa">,
    userId: string,
    deviceToken: string | undefined,
  ): Promise<boolean> {
    if (!(await hasActiveFactor(reads, userId))) return false;
    return !(await isTrustedDevice(reads, userId, deviceToken, this.deps.clock.now()));
  }

  createChallenge(
    tx: Transaction<MfaRepositories>,
    userId: string,
    options: LoginOptions,
    client: ClientInfo,
  ): Promise<LoginChallenge> {
    return createChallenge(this.deps, tx, userId, options, client);
  }

  async revokeTrustedDevices(tx: Transaction<MfaRepositories>, userId: string): Promise<void> {
    await revokeAllTrustedDevices(tx, userId);
  }

  // ---- authenticators ----

  listPage(
    userId: string,
    request: PageRequest,
    filter: AuthenticatorListFilter,
  ): Promise<Page<AuthenticatorSummary>> {
    return this.uow.read((reads) => pageAuthenticators(reads, userId, request, filter));
  }

  get(userId: string, id: string): Promise<AuthenticatorSummary> {
    return this.uow.read(async (reads) => summarise(reads, await ownAuthenticator(reads, userId, id)));
  }

  create(
    caller: SessionCaller,
    type: AuthenticatorKind,
    mobile: string,
    currentPassword: string,
    context: AuditContext,
  ): Promise<CreatedAuthenticator> {
    return createFactor(this.deps, this.uow, caller, type, mobile, currentPassword, context);
  }

  /** Activates a factor; `signOutOthers` ends every other session of the account with it (one transaction). */
  verify(
    caller: SessionCaller,
    id: string,
    code: string,
    currentPassword: string,
    context: AuditContext,
    signOutOthers = false,
  ): Promise<AuthenticatorSummary> {
    return activateFactor(this.deps, this.uow, caller, id, code, currentPassword, context, signOutOthers);
  }

  /** Removes a factor; `signOutOthers` ends every other session of the account with it (one transaction). */
  remove(
    caller: SessionCaller,
    id: string,
    proof: Proof,
    context: AuditContext,
    signOutOthers = false,
  ): Promise<void> {
    return removeFactor(this.deps, this.uow, caller, id, proof, context, signOutOthers);
  }

  // ---- sign-in challenges ----

  async deliver(challengeId: string, authenticatorId: string): Promise<number> {
    const userId = await this.uow.read((reads) => challengeOwner(reads, challengeId, this.deps.clock.now()));
    if (userId !== null) await limitSends(this.deps, userId);
    return this.uow.run(async (tx) =>
      commit(await deliverChallenge(this.deps, tx, challengeId, authenticatorId)),
    );
  }

  async answer(answer: ChallengeAnswer): Promise<ChallengeResult> {
    const { challengeId, authenticatorId, code } = answer;
    const userId = await this.uow.read((reads) => challengeOwner(reads, challengeId, this.deps.clock.now()));
    const prepared =
      userId === null || authenticatorId === ""
        ? null
        : await prepareRecoveryCode(this.deps, this.uow, userId, code, checkAuthenticatorId(authenticatorId));
    return this.uow.run((tx) => verifyChallenge(this.deps, tx, answer, prepared));
  }

  // ---- step-up ----

  /**
   * Proves a factor within the session and answers until when it counts. For SMS and email, an
   * empty code sends one (and answers null); the next call carries it.
   */
  async stepUp(principal: SessionCaller, id: string, code: string): Promise<number | null> {
    const target = await this.uow.read((reads) => ownAuthenticator(reads, principal.userId, id));
    const binding = stepUpBinding(principal.sessionId, target.id);
    if ((target.type === "sms" || target.type === "email") && code.trim() === "" && target.active) {
      await limitSends(this.deps, principal.userId);
      const channel = target.type;
      await this.uow.run(async (tx) =>
        commit(
          await sendCode(tx, this.deps, this.deps.clock.now(), {
            binding,
            userId: principal.userId,
            channel,
            destination: target.destination,
            purpose: "confirming a sensitive change",
          }),
        ),
      );
      return null;
    }
    const prepared =
      target.type === "recovery_codes" && target.active
        ? await prepareRecoveryCode(this.deps, this.uow, principal.userId, code, target.id)
        : null;
    return this.uow.run(async (tx) => {
      const a = await ownAuthenticator(tx, principal.userId, id);
      if (!a.active) return commitThenFail(invalidArgument("authenticator_id", "is not active"));
      const check = await checkCode(this.deps, tx, a, code, binding, codeErrors, prepared);
      if (!check.ok) return commitThenFail(check.error);
      return commit(
        await recordStepUp(
          tx,
          principal.sessionId,
          principal.userId,
          this.deps.clock.now(),
          this.deps.stepUpTtlSeconds,
        ),
      );
    });
  }

  // ---- trusted devices ----

  devicesPage(userId: string, request: PageRequest): Promise<Page<TrustedDeviceView>> {
    return this.uow.read((reads) => pageTrustedDevices(reads, userId, request, this.deps.clock.now()));
  }

  revokeDevice(userId: string, deviceId: string, context: AuditContext): Promise<void> {
    if (deviceId === "") throw invalidArgument("device_id", "is required");
    if (!UUID.test(deviceId)) throw invalidArgument("device_id", "is not a device id");
    return this.uow.run(async (tx) => {
      if (!(await revokeTrustedDevice(tx, userId, deviceId))) throw notFound("no such trusted device");
      await tx.audit.record(this.deps.clock.now(), "trusted_device.revoked", userId, context, { deviceId });
      return commit(undefined);
    });
  }

  // ---- mobile number ----

  async resendMobile(userId: string): Promise<void> {
    await limitSends(this.deps, userId);
    await this.uow.run(async (tx) => commit(await sendMobileVerification(this.deps, tx, userId)));
  }

  verifyMobile(userId: string, code: string): Promise<void> {
    return this.uow
      .run((tx) => verifyMobile(this.deps, tx, userId, code))
      .catch((error: unknown) => {
        // Another account verified the same number between the check and the write (mobile.ts); the
        // code stays unspent (the transaction rolled back), which is harmless: the number is taken.
        if (isUniqueViolation(error)) throw mobileTaken();
        throw error;
      });
  }
}
