// The second factor as other features see it, inside their own transactions: Login and provider
// sign-in ask whether a sign-in needs it and leave a challenge instead of tokens; a password change
// or reset, and an administrator's, forget the account's trusted devices. Not part of the face the
// handlers call (index.ts): no RPC reaches these by itself.
import type { SecondFactorGate } from "../ports.js";
import { hasActiveFactor } from "./authenticators.js";
import { createChallenge } from "./challenges.js";
import type { MfaDeps } from "./deps.js";
import { isTrustedDevice, revokeAllTrustedDevices } from "./trusted-devices.js";

export function createSecondFactorGate(deps: Pick<MfaDeps, "clock">): SecondFactorGate {
  return {
    async isRequired(reads, userId, deviceToken) {
      if (!(await hasActiveFactor(reads, userId))) return false;
      return !(await isTrustedDevice(reads, userId, deviceToken, deps.clock.now()));
    },
    createChallenge: (tx, userId, options, client) => createChallenge(deps, tx, userId, options, client),
    async revokeTrustedDevices(tx, userId) {
      await revokeAllTrustedDevices(tx, userId);
    },
  };
}
