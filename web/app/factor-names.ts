// How a second factor is named on screen.
import { type Authenticator, AuthenticatorType } from "../../gen/authd/v1/mfa_pb.js";

const FACTOR_NAMES: Record<AuthenticatorType, string> = {
  [AuthenticatorType.UNSPECIFIED]: "Second factor",
  [AuthenticatorType.TOTP]: "Authenticator app",
  [AuthenticatorType.SMS]: "Text message",
  [AuthenticatorType.EMAIL]: "Email",
  [AuthenticatorType.RECOVERY_CODES]: "Recovery code",
};

export function factorName(a: Authenticator): string {
  const name = FACTOR_NAMES[a.type];
  return a.destinationHint ? `${name} (${a.destinationHint})` : name;
}
