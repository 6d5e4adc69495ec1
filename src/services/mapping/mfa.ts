// Proto <-> domain shapes of the second factor (MfaService). Login and provider sign-in use
// toMfaChallengeMessage for the challenge they answer instead of tokens.
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { SessionScope } from "../../../gen/authd/v1/common_pb.js";
import {
  type Authenticator,
  AuthenticatorSchema,
  AuthenticatorType,
  type CreateAuthenticatorRequest,
  type CreateAuthenticatorResponse,
  CreateAuthenticatorResponseSchema,
  type DeleteAuthenticatorRequest,
  type ListAuthenticatorsRequest,
  type MfaChallenge,
  MfaChallengeSchema,
  type TrustedDevice,
  TrustedDeviceSchema,
  type VerifyAuthenticatorRequest,
} from "../../../gen/authd/v1/mfa_pb.js";
import { invalidArgument } from "../../domain/errors.js";
import type {
  AuthenticatorKind,
  AuthenticatorListFilter,
  AuthenticatorSummary,
  CreatedAuthenticator,
  FactorActivation,
  FactorRemoval,
  LoginChallenge,
  NewAuthenticator,
  TrustedDeviceView,
} from "../../domain/mfa/index.js";
import { sessionScope } from "../session-scope.js";

const toProtoType: Record<AuthenticatorKind, AuthenticatorType> = {
  totp: AuthenticatorType.TOTP,
  sms: AuthenticatorType.SMS,
  email: AuthenticatorType.EMAIL,
  recovery_codes: AuthenticatorType.RECOVERY_CODES,
};

export function toAuthenticatorMessage(summary: AuthenticatorSummary): Authenticator {
  return create(AuthenticatorSchema, {
    id: summary.id,
    type: toProtoType[summary.type],
    active: summary.active,
    destinationHint: summary.destinationHint,
    remainingCodes: summary.remainingCodes,
    createTime: timestampFromMs(summary.createdAt),
    ...(summary.lastUsedAt === null ? {} : { lastUsedTime: timestampFromMs(summary.lastUsedAt) }),
  });
}

export function toMfaChallengeMessage(challenge: LoginChallenge): MfaChallenge {
  return create(MfaChallengeSchema, {
    challengeId: challenge.challengeId,
    expireTime: timestampFromMs(challenge.expiresAt),
    authenticators: challenge.authenticators.map(toAuthenticatorMessage),
  });
}

export function toTrustedDeviceMessage(device: TrustedDeviceView): TrustedDevice {
  return create(TrustedDeviceSchema, {
    id: device.id,
    userAgent: device.userAgent,
    ipAddress: device.ipAddress,
    createTime: timestampFromMs(device.createdAt),
    expireTime: timestampFromMs(device.expiresAt),
  });
}

export function fromAuthenticatorType(type: AuthenticatorType): AuthenticatorKind {
  switch (type) {
    case AuthenticatorType.TOTP:
      return "totp";
    case AuthenticatorType.SMS:
      return "sms";
    case AuthenticatorType.EMAIL:
      return "email";
    case AuthenticatorType.RECOVERY_CODES:
      return "recovery_codes";
    default:
      throw invalidArgument("type", "must be TOTP, SMS, EMAIL or RECOVERY_CODES");
  }
}

/** ListAuthenticators' filter: a kind (any when unspecified), and verified or pending ones. */
export function fromListAuthenticatorsRequest(req: ListAuthenticatorsRequest): AuthenticatorListFilter {
  return {
    type: req.type === AuthenticatorType.UNSPECIFIED ? undefined : fromAuthenticatorType(req.type),
    verified: req.verified,
  };
}

export function fromCreateAuthenticatorRequest(req: CreateAuthenticatorRequest): NewAuthenticator {
  return { type: fromAuthenticatorType(req.type), mobile: req.mobile, currentPassword: req.currentPassword };
}

/** The secrets of a new factor are in this answer only: the TOTP key and the recovery codes. */
export function toCreateAuthenticatorResponseMessage(
  created: CreatedAuthenticator,
): CreateAuthenticatorResponse {
  return create(CreateAuthenticatorResponseSchema, {
    authenticator: toAuthenticatorMessage(created.authenticator),
    totpSecret: created.totp?.secret ?? "",
    totpUri: created.totp?.uri ?? "",
    totpQrCode: created.totp?.qrCode ?? "",
    recoveryCodes: created.recoveryCodes ?? [],
  });
}

/**
 * A factor change's end_sessions (ASVS 7.4.3): none by default, or every other session, ended in the
 * change's own transaction. Read before the change.
 */
const signsOutOthers = (scope: SessionScope) => sessionScope(scope, "none", ["none", "others"]) === "others";

export function fromVerifyAuthenticatorRequest(req: VerifyAuthenticatorRequest): FactorActivation {
  return {
    signOutOthers: signsOutOthers(req.endSessions),
    authenticatorId: req.authenticatorId,
    code: req.code,
    currentPassword: req.currentPassword,
  };
}

/** The proof is the password or a current code; one is required. */
export function fromDeleteAuthenticatorRequest(req: DeleteAuthenticatorRequest): FactorRemoval {
  const signOutOthers = signsOutOthers(req.endSessions);
  if (req.proof.case === "currentPassword") {
    return {
      authenticatorId: req.authenticatorId,
      proof: { kind: "password", password: req.proof.value },
      signOutOthers,
    };
  }
  if (req.proof.case === "code") {
    return {
      authenticatorId: req.authenticatorId,
      proof: { kind: "code", code: req.proof.value },
      signOutOthers,
    };
  }
  throw invalidArgument("current_password", "or code is required to remove a factor");
}
