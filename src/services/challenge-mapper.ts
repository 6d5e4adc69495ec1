import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  type Authenticator,
  AuthenticatorSchema,
  AuthenticatorType,
  type MfaChallenge,
  MfaChallengeSchema,
} from "../../gen/authd/v1/mfa_pb.js";
import type { AuthenticatorSummary, LoginChallenge } from "../domain/ports.js";

const types: Record<AuthenticatorSummary["type"], AuthenticatorType> = {
  totp: AuthenticatorType.TOTP,
  sms: AuthenticatorType.SMS,
  email: AuthenticatorType.EMAIL,
  recovery_codes: AuthenticatorType.RECOVERY_CODES,
};

export function toAuthenticatorProto(summary: AuthenticatorSummary): Authenticator {
  return create(AuthenticatorSchema, {
    id: summary.id,
    type: types[summary.type],
    active: summary.active,
    destinationHint: summary.destinationHint,
    remainingCodes: summary.remainingCodes,
    createTime: timestampFromMs(summary.createdAt),
    ...(summary.lastUsedAt === null ? {} : { lastUsedTime: timestampFromMs(summary.lastUsedAt) }),
  });
}

export function toLoginChallengeProto(challenge: LoginChallenge): MfaChallenge {
  return create(MfaChallengeSchema, {
    challengeId: challenge.challengeId,
    expireTime: timestampFromMs(challenge.expiresAt),
    authenticators: challenge.authenticators.map(toAuthenticatorProto),
  });
}
