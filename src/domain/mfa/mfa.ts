// The second factor as the handlers and Login see it: each method is one transaction. Wrong codes
// are answered as error values inside the transaction and thrown after it commits, so lockout
// counts survive the failed request (commitThenThrow).
import type { EntityManager } from "typeorm";
import type { Principal } from "../../context.js";
import { MfaAuthenticatorEntity, type MfaTrustedDeviceEntity } from "../../store/entities/mfa.js";
import type { Store } from "../../store/store.js";
import type { AuditContext } from "../audit.js";
import { recordAudit } from "../audit.js";
import {
  type DomainError,
  invalidArgument,
  notFound,
  resourceExhausted,
  unauthenticated,
} from "../errors.js";
import type {
  AuthenticatorSummary,
  ClientInfo,
  LoginChallenge,
  LoginOptions,
  SecondFactorGate,
} from "../ports.js";
import {
  activeUser,
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
import { reauthenticate } from "./factor-change.js";
import { commitThenThrow } from "./failures.js";
import { sendMobileVerification, verifyMobile } from "./mobile.js";
import { checkCodeProof, type Proof, reserveProofAttempt } from "./proof.js";
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

export type SessionPrincipal = Principal & { sessionId: string };

export interface CreatedAuthenticator {
  authenticator: AuthenticatorSummary;
  totp?: { secret: string; uri: string; qrCode: string };
  recoveryCodes?: string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const stepUpBinding = (sessionId: string, authenticatorId: string) =>
  `stepup:${sessionId}:${authenticatorId}`;

export class Mfa implements SecondFactorGate {
  constructor(
    private readonly deps: MfaDeps,
    private readonly store: Store,
  ) {}

  private tx<T>(work: (em: EntityManager) => Promise<T | DomainError>): Promise<T> {
    return commitThenThrow((w) => this.store.transaction(w), work);
  }

  /** Counts one SMS or email send for the user; refuses beyond the configured rate. */
  private async limitSends(userId: string): Promise<void> {
    const result = await this.deps.rateLimiter.consume(
      `mfa-code:${userId}`,
      this.deps.codesPerUser,
      this.deps.rateLimitWindowSeconds,
    );
    if (!result.allowed) throw resourceExhausted("too many codes sent", result.retryAfterSeconds);
  }

  /** Counts one new set of recovery codes (ten argon2id hashes) for the user. */
  private async limitRegenerations(userId: string): Promise<void> {
    const result = await this.deps.rateLimiter.consume(
      `mfa-recovery-codes:${userId}`,
      this.deps.recoveryCodeRegenerations,
      this.deps.rateLimitWindowSeconds,
    );
    if (!result.allowed)
      throw resourceExhausted("too many new sets of recovery codes", result.retryAfterSeconds);
  }

  /** Deletes expired challenges, codes, trusted devices and step-ups. */
  purgeExpired(): Promise<void> {
    return purgeExpired(this.store, this.deps.clock.now());
  }

  // ---- SecondFactorGate (Login, password change and reset) ----

  async isRequired(em: EntityManager, userId: string, deviceToken: string | undefined): Promise<boolean> {
    if (!(await hasActiveFactor(em, userId))) return false;
    return !(await isTrustedDevice(em, userId, deviceToken, this.deps.clock.now()));
  }

  createChallenge(
    em: EntityManager,
    userId: string,
    options: LoginOptions,
    client: ClientInfo,
  ): Promise<LoginChallenge> {
    return createChallenge(this.deps, em, userId, options, client);
  }

  async revokeTrustedDevices(em: EntityManager, userId: string): Promise<void> {
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

  /**
   * Starts enrolling a factor (recovery codes: a new active set). Needs the password and, when the
   * account has an active factor, a recent step-up; the send and regeneration limits are counted
   * before the password is checked.
   */
  async create(
    principal: SessionPrincipal,
    type: MfaAuthenticatorEntity["type"],
    mobile: string,
    currentPassword: string,
    context: AuditContext,
  ): Promise<CreatedAuthenticator> {
    const limits = async () => {
      if (type === "sms" || type === "email") await this.limitSends(principal.userId);
      if (type === "recovery_codes") await this.limitRegenerations(principal.userId);
    };
    await reauthenticate(this.deps, this.store, principal, currentPassword, "current_password", limits);
    // Hashing is slow: done before the transaction, never inside it.
    const recovery = type === "recovery_codes" ? await newHashedRecoveryCodes(this.deps) : undefined;
    return this.store.transaction(async (em): Promise<CreatedAuthenticator> => {
      const user = await activeUser(em, principal.userId);
      await requireRecentSecondFactor(em, principal, this.deps.clock.now());
      switch (type) {
        case "totp": {
          const { authenticator, ...totp } = await startTotp(this.deps, em, user);
          return { authenticator: await summarise(em, authenticator), totp };
        }
        case "sms":
          return { authenticator: await summarise(em, await startSms(this.deps, em, user, mobile)) };
        case "email":
          return { authenticator: await summarise(em, await startEmail(this.deps, em, user)) };
        case "recovery_codes": {
          const codes = recovery as { codes: string[]; hashes: string[] };
          const authenticator = await storeRecoveryCodes(this.deps, em, user, codes.hashes, context);
          return { authenticator: await summarise(em, authenticator), recoveryCodes: codes.codes };
        }
      }
    });
  }

  /** Activates a pending factor with its first code; needs the password (and step-up) as `create`. */
  async verify(
    principal: SessionPrincipal,
    id: string,
    code: string,
    currentPassword: string,
    context: AuditContext,
  ): Promise<AuthenticatorSummary> {
    checkAuthenticatorId(id);
    await reauthenticate(this.deps, this.store, principal, currentPassword, "current_password");
    return this.tx(async (em) => {
      const user = await activeUser(em, principal.userId);
      const a = await ownAuthenticator(em, user.id, id);
      if (a.active) return invalidArgument("authenticator_id", "is already active");
      await requireRecentSecondFactor(em, principal, this.deps.clock.now());
      const check = await checkCode(this.deps, em, a, code, enrolBinding(a.id), () =>
        invalidArgument("code", "is wrong or has expired"),
      );
      if (!check.ok) return check.error;
      const now = this.deps.clock.now();
      await em.update(MfaAuthenticatorEntity, { id: a.id }, { active: true, lastUsedAt: now });
      Object.assign(a, { active: true, lastUsedAt: now });
      await activated(this.deps, em, user, a, context);
      // The user just proved the new factor within this session.
      await recordStepUp(em, principal.sessionId, user.id, now, this.deps.stepUpTtlSeconds);
      return summarise(em, a);
    });
  }

  /**
   * Removes a factor. A password is not a second factor: with it, a recent step-up is needed too.
   * A current TOTP or recovery code is one, and is proof enough.
   */
  async remove(principal: SessionPrincipal, id: string, proof: Proof, context: AuditContext): Promise<void> {
    await this.store.transaction((em) => ownAuthenticator(em, principal.userId, id));
    if (proof.kind === "password") {
      await reauthenticate(this.deps, this.store, principal, proof.password, "password");
      return this.store.transaction(async (em) => {
        const user = await activeUser(em, principal.userId);
        const a = await ownAuthenticator(em, user.id, id);
        await removeAuthenticator(this.deps, em, user, a, context);
      });
    }
    await reserveProofAttempt(this.deps, this.store, principal.userId, proof.code);
    const prepared = await prepareRecoveryCode(this.deps, this.store, principal.userId, proof.code);
    return this.tx(async (em) => {
      const user = await activeUser(em, principal.userId);
      const a = await ownAuthenticator(em, user.id, id);
      const failed = await checkCodeProof(this.deps, em, user, proof.code, prepared);
      if (failed) return failed;
      await removeAuthenticator(this.deps, em, user, a, context);
      return undefined;
    });
  }

  // ---- sign-in challenges ----

  async deliver(challengeId: string, authenticatorId: string): Promise<number> {
    const userId = await this.store.transaction((em) =>
      challengeOwner(em, challengeId, this.deps.clock.now()),
    );
    if (userId !== null) await this.limitSends(userId);
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
  async stepUp(principal: SessionPrincipal, id: string, code: string): Promise<number | null> {
    const target = await this.store.transaction((em) => ownAuthenticator(em, principal.userId, id));
    const binding = stepUpBinding(principal.sessionId, target.id);
    if ((target.type === "sms" || target.type === "email") && code.trim() === "" && target.active) {
      await this.limitSends(principal.userId);
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
      if (!a.active) return invalidArgument("authenticator_id", "is not active");
      const check = await checkCode(
        this.deps,
        em,
        a,
        code,
        binding,
        () => unauthenticated("the code is wrong or has expired"),
        prepared,
      );
      if (!check.ok) return check.error;
      return recordStepUp(
        em,
        principal.sessionId,
        principal.userId,
        this.deps.clock.now(),
        this.deps.stepUpTtlSeconds,
      );
    });
  }

  // ---- trusted devices ----

  devices(userId: string): Promise<MfaTrustedDeviceEntity[]> {
    return this.store.transaction((em) => listTrustedDevices(em, userId, this.deps.clock.now()));
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
    await this.limitSends(userId);
    await this.store.transaction((em) => sendMobileVerification(this.deps, em, userId));
  }

  verifyMobile(userId: string, code: string): Promise<void> {
    return this.tx((em) => verifyMobile(this.deps, em, userId, code));
  }
}
