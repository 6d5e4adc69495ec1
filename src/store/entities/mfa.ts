// Tables of the second factor: authenticators, their recovery codes, one-time codes sent by SMS or
// email, sign-in challenges, trusted devices, step-ups and failure counters. No secret is stored in
// clear: codes and tokens are SHA-256 hashes; TOTP secrets, which must be read back to verify, are
// sealed with AES-256-GCM (src/domain/secret-box.ts).
import { Column, Entity, PrimaryColumn } from "typeorm";
import type { AuthenticatorKind, ChallengeOptions } from "../../domain/mfa/persistence.js";
import { json, millis } from "../columns.js";

@Entity({ name: "mfa_authenticators" })
export class MfaAuthenticatorEntity {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id: string;

  @Column({ name: "user_id", type: "varchar", length: 36 })
  userId: string;

  @Column({ type: "varchar", length: 16 })
  type: AuthenticatorKind;

  @Column({ type: "boolean", default: false })
  active: boolean;

  /** TOTP only: the sealed secret (base64 of nonce, ciphertext and tag). */
  @Column({ name: "secret_sealed", type: "text", nullable: true })
  secretSealed: string | null;

  /** SMS: the E.164 number; email: the address codes go to; empty otherwise. */
  @Column({ type: "varchar", length: 320, default: "" })
  destination: string;

  /** TOTP only: the last accepted time step; a code of this step or earlier is refused. */
  @Column({ name: "last_used_step", type: "bigint", nullable: true, transformer: millis })
  lastUsedStep: number | null;

  @Column({ name: "created_at", type: "bigint", transformer: millis })
  createdAt: number;

  @Column({ name: "last_used_at", type: "bigint", nullable: true, transformer: millis })
  lastUsedAt: number | null;
}

@Entity({ name: "mfa_recovery_codes" })
export class MfaRecoveryCodeEntity {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id: string;

  @Column({ name: "authenticator_id", type: "varchar", length: 36 })
  authenticatorId: string;

  /** argon2id PHC string of the normalised code (see codes.ts). */
  @Column({ name: "code_hash", type: "text" })
  codeHash: string;

  @Column({ name: "used_at", type: "bigint", nullable: true, transformer: millis })
  usedAt: number | null;
}

/** A code sent by SMS or email, bound to what it was sent for (`binding`); one live code per binding. */
@Entity({ name: "mfa_codes" })
export class MfaCodeEntity {
  /** For example "enrol:<authenticator>", "challenge:<challenge>:<authenticator>", "mobile:<user>". */
  @PrimaryColumn({ type: "varchar", length: 160 })
  binding: string;

  @Column({ name: "user_id", type: "varchar", length: 36 })
  userId: string;

  @Column({ name: "code_hash", type: "varchar", length: 64 })
  codeHash: string;

  /** Where it was sent (the mobile number of a mobile verification; empty otherwise). */
  @Column({ type: "varchar", length: 320, default: "" })
  destination: string;

  @Column({ name: "expires_at", type: "bigint", transformer: millis })
  expiresAt: number;

  @Column({ name: "created_at", type: "bigint", transformer: millis })
  createdAt: number;
}

@Entity({ name: "mfa_challenges" })
export class MfaChallengeEntity {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id: string;

  /** SHA-256 of the challenge token handed to the client. */
  @Column({ name: "token_hash", type: "varchar", length: 64, unique: true })
  tokenHash: string;

  @Column({ name: "user_id", type: "varchar", length: 36 })
  userId: string;

  @Column({ type: "text", transformer: json<ChallengeOptions | null>(null) })
  options: ChallengeOptions;

  @Column({ name: "expires_at", type: "bigint", transformer: millis })
  expiresAt: number;

  @Column({ name: "consumed_at", type: "bigint", nullable: true, transformer: millis })
  consumedAt: number | null;

  @Column({ name: "created_at", type: "bigint", transformer: millis })
  createdAt: number;
}

@Entity({ name: "mfa_trusted_devices" })
export class MfaTrustedDeviceEntity {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id: string;

  @Column({ name: "user_id", type: "varchar", length: 36 })
  userId: string;

  @Column({ name: "token_hash", type: "varchar", length: 64, unique: true })
  tokenHash: string;

  @Column({ name: "user_agent", type: "varchar", length: 512, default: "" })
  userAgent: string;

  @Column({ name: "ip_address", type: "varchar", length: 64, default: "" })
  ipAddress: string;

  @Column({ name: "created_at", type: "bigint", transformer: millis })
  createdAt: number;

  @Column({ name: "expires_at", type: "bigint", transformer: millis })
  expiresAt: number;
}

/** The last second factor proven within a session; sensitive RPCs need one that is recent. */
@Entity({ name: "mfa_step_ups" })
export class MfaStepUpEntity {
  @PrimaryColumn({ name: "session_id", type: "varchar", length: 64 })
  sessionId: string;

  @Column({ name: "user_id", type: "varchar", length: 36 })
  userId: string;

  @Column({ name: "verified_at", type: "bigint", transformer: millis })
  verifiedAt: number;

  @Column({ name: "valid_until", type: "bigint", transformer: millis })
  validUntil: number;
}

/** Consecutive wrong codes per factor (or per mobile verification); enough of them lock it. */
@Entity({ name: "mfa_failures" })
export class MfaFailureEntity {
  /** For example "authenticator:<id>", "mobile:<user>", "proof:<user>". */
  @PrimaryColumn({ name: "failure_key", type: "varchar", length: 160 })
  failureKey: string;

  @Column({ type: "integer", default: 0 })
  failures: number;

  @Column({ name: "locked_until", type: "bigint", nullable: true, transformer: millis })
  lockedUntil: number | null;
}

export const mfaEntities = [
  MfaAuthenticatorEntity,
  MfaRecoveryCodeEntity,
  MfaCodeEntity,
  MfaChallengeEntity,
  MfaTrustedDeviceEntity,
  MfaStepUpEntity,
  MfaFailureEntity,
];
