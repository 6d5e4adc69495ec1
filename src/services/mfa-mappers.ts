// Proto <-> domain shapes of the second factor. Login uses toAuthenticatorProto for the
// authenticators of its MFA challenge.
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  type Authenticator,
  AuthenticatorSchema,
  AuthenticatorType,
  type MfaChallenge,
  MfaChallengeSchema,
  type TrustedDevice,
  TrustedDeviceSchema,
} from "../../gen/authd/v1/mfa_pb.js";
import { invalidArgument } from "../domain/errors.js";
import type { AuthenticatorSummary, LoginChallenge, TrustedDeviceView } from "../domain/ports.js";

const toProtoType: Record<AuthenticatorSummary["type"], AuthenticatorType> = {
  totp: AuthenticatorType.TOTP,
  sms: AuthenticatorType.SMS,
  email: AuthenticatorType.EMAIL,
  recovery_codes: AuthenticatorType.RECOVERY_CODES,
};

export function toAuthenticatorProto(summary: AuthenticatorSummary): Authenticator {
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

export function toMfaChallengeProto(challenge: LoginChallenge): MfaChallenge {
  return create(MfaChallengeSchema, {
    challengeId: challenge.challengeId,
    expireTime: timestampFromMs(challenge.expiresAt),
    authenticators: challenge.authenticators.map(toAuthenticatorProto),
  });
}

export function fromAuthenticatorType(type: AuthenticatorType): AuthenticatorSummary["type"] {
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

export function toTrustedDeviceProto(device: TrustedDeviceView): TrustedDevice {
  return create(TrustedDeviceSchema, {
    id: device.id,
    userAgent: device.userAgent,
    ipAddress: device.ipAddress,
    createTime: timestampFromMs(device.createdAt),
    expireTime: timestampFromMs(device.expiresAt),
  });
}
