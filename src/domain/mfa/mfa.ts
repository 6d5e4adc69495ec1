// The second factor as the handlers and Login see it. Each method writes in one transaction; slow
// work (argon2 for passwords and recovery codes) runs before it, never inside. Wrong codes are
// answered as error values inside the transaction and thrown after it commits, so lockout counts
// survive the failed request (commitThenThrow).
import type { EntityManager } from "typeorm";
import { MfaAuthenticatorEntity } from "../../store/entities/mfa.js";
import { recordAudit } from "../../store/repositories/audit.js";
import type { Store } from "../../store/store.js";
import { emOf } from "../../store/unit-of-work.js";
import type { AuditContext } from "../audit.js";
import type { SessionCaller } from "../callers.js";
import { invalidArgument, notFound, unauthenticated } from "../errors.js";
import type { Transaction } from "../persistence.js";
import type {
  AuthenticatorSummary,
  ClientInfo,
  LoginChallenge,
  LoginOptions,
  SecondFactorGate,
  TrustedDeviceView,
} from "../ports.js";
import { commit, commitThenFail, type Outcome, settle } from "../unit-of-work.js";
import {
  checkAuthenticatorId,
  hasActiveFactor,
  listAuthenticators,
  ownAuthenticator,
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
import { sendMobileVerification, verifyMobile } from "./mobile.js";
import type { Proof } from "./proof.js";
import { purgeExpired } from "./purge.js";
import { sendCode } from "./sent-codes.js";
import { recordStepUp, requireRecentSecondFactor } from "./step-up.js";
import {
  isTrustedDevice,
  listTrustedDevices,
  revokeAllTrustedDevices,
  revokeTrustedDevice,
} from "./trusted-devices.js";
import { checkCode, prepareRecoveryCode } from "./verify-code.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const stepUpBinding = (sessionId: string, authenticatorId: string) =>
  `stepup:${sessionId}:${authenticatorId}`;

export class Mfa implements SecondFactorGate {
  constructor(
    private readonly deps: MfaDeps,
    private readonly store: Store,
  ) {}

  /** One transaction whose outcome may be "record this failure, then fail" (see unit-of-work.ts). */
  private async tx<T>(work: (em: EntityManager) => Promise<Outcome<T>>): Promise<T> {
    return settle(await this.store.transaction(work));
  }

  /** StepUpCheck: throws PermissionDenied unless the session proved a second factor recently. */
  requireRecent(caller: { userId: string; sessionId: string | undefined }): Promise<void> {
    return this.store.transaction((em) => requireRecentSecondFactor(em, caller, this.deps.clock.now()));
  }

  /** Deletes expired challenges, codes, trusted devices and step-ups. */
  purgeExpired(): Promise<void> {
    return purgeExpired(this.store, this.deps.clock.now());
  }

  // ---- SecondFactorGate (Login, password change and reset) ----

  async isRequired(tx: Transaction, userId: string, deviceToken: string | undefined): Promise<boolean> {
    const em = emOf(tx);
    if (!(await hasActiveFactor(em, userId))) return false;
    return !(await isTrustedDevice(em, userId, deviceToken, this.deps.clock.now()));
  }

  createChallenge(
    tx: Transaction,
    userId: string,
    options: LoginOptions,
    client: ClientInfo,
  ): Promise<LoginChallenge> {
    return createChallenge(this.deps, emOf(tx), userId, options, client);
  }

  async revokeTrustedDevices(tx: Transaction, userId: string): Promise<void> {
    const em = emOf(tx);
    await revokeAllTrustedDevices(em, userId);
  }

  // ---- authenticators ----

  list(userId: string): Promise<AuthenticatorSummary[]> {
    return this.store.transaction(async (em) => {
      const out = [];
      for (const a of await listAuthenticators(em, userId)) out.push(await summarise(em, a));
      return out;
    });
  }

  get(userId: string, id: string): Promise<AuthenticatorSummary> {
    return this.store.transaction(async (em) => summarise(em, await ownAuthenticator(em, userId, id)));
  }

  create(
    caller: SessionCaller,
    type: MfaAuthenticatorEntity["type"],
    mobile: string,
    currentPassword: string,
    context: AuditContext,
  ): Promise<CreatedAuthenticator> {
    return createFactor(this.deps, this.store, caller, type, mobile, currentPassword, context);
  }

  verify(
    caller: SessionCaller,
    id: string,
    code: string,
    currentPassword: string,
    context: AuditContext,
  ): Promise<AuthenticatorSummary> {
    return activateFactor(this.deps, this.store, caller, id, code, currentPassword, context);
  }

  remove(caller: SessionCaller, id: string, proof: Proof, context: AuditContext): Promise<void> {
    return removeFactor(this.deps, this.store, caller, id, proof, context);
  }

  // ---- sign-in challenges ----

  async deliver(challengeId: string, authenticatorId: string): Promise<number> {
    const userId = await this.store.transaction((em) =>
      challengeOwner(em, challengeId, this.deps.clock.now()),
    );
    if (userId !== null) await limitSends(this.deps, userId);
    return this.store.transaction((em) => deliverChallenge(this.deps, em, challengeId, authenticatorId));
  }

  async answer(answer: ChallengeAnswer): Promise<ChallengeResult> {
    const { challengeId, authenticatorId, code } = answer;
    const userId = await this.store.transaction((em) =>
      challengeOwner(em, challengeId, this.deps.clock.now()),
    );
    const prepared =
      userId === null || authenticatorId === ""
        ? null
        : await prepareRecoveryCode(
            this.deps,
            this.store,
            userId,
            code,
            checkAuthenticatorId(authenticatorId),
          );
    return this.tx((em) => verifyChallenge(this.deps, em, answer, prepared));
  }

  // ---- step-up ----

  /**
   * Proves a factor within the session and answers until when it counts. For SMS and email, an
   * empty code sends one (and answers null); the next call carries it.
   */
  async stepUp(principal: SessionCaller, id: string, code: string): Promise<number | null> {
    const target = await this.store.transaction((em) => ownAuthenticator(em, principal.userId, id));
    const binding = stepUpBinding(principal.sessionId, target.id);
    if ((target.type === "sms" || target.type === "email") && code.trim() === "" && target.active) {
      await limitSends(this.deps, principal.userId);
      await this.store.transaction((em) =>
        sendCode(em, this.deps, this.deps.clock.now(), {
          binding,
          userId: principal.userId,
          channel: target.type as "sms" | "email",
          destination: target.destination,
          purpose: "confirming a sensitive change",
        }),
      );
      return null;
    }
    const prepared =
      target.type === "recovery_codes" && target.active
        ? await prepareRecoveryCode(this.deps, this.store, principal.userId, code, target.id)
        : null;
    return this.tx(async (em) => {
      const a = await ownAuthenticator(em, principal.userId, id);
      if (!a.active) return commitThenFail(invalidArgument("authenticator_id", "is not active"));
      const check = await checkCode(
        this.deps,
        em,
        a,
        code,
        binding,
        () => unauthenticated("the code is wrong or has expired"),
        prepared,
      );
      if (!check.ok) return commitThenFail(check.error);
      return commit(
        await recordStepUp(
          em,
          principal.sessionId,
          principal.userId,
          this.deps.clock.now(),
          this.deps.stepUpTtlSeconds,
        ),
      );
    });
  }

  // ---- trusted devices ----

  async devices(userId: string): Promise<TrustedDeviceView[]> {
    const rows = await this.store.transaction((em) => listTrustedDevices(em, userId, this.deps.clock.now()));
    return rows.map(({ id, userAgent, ipAddress, createdAt, expiresAt }) => ({
      id,
      userAgent,
      ipAddress,
      createdAt,
      expiresAt,
    }));
  }

  revokeDevice(userId: string, deviceId: string, context: AuditContext): Promise<void> {
    if (deviceId === "") throw invalidArgument("device_id", "is required");
    if (!UUID.test(deviceId)) throw invalidArgument("device_id", "is not a device id");
    return this.store.transaction(async (em) => {
      if (!(await revokeTrustedDevice(em, userId, deviceId))) throw notFound("no such trusted device");
      await recordAudit(em, this.deps.clock.now(), "trusted_device.revoked", userId, context, { deviceId });
    });
  }

  // ---- mobile number ----

  async resendMobile(userId: string): Promise<void> {
    await limitSends(this.deps, userId);
    await this.store.transaction((em) => sendMobileVerification(this.deps, em, userId));
  }

  verifyMobile(userId: string, code: string): Promise<void> {
    return this.tx((em) => verifyMobile(this.deps, em, userId, code));
  }
}
