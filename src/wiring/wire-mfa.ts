// The second factor: authenticators, sign-in challenges, trusted devices and step-up. Its sealed
// TOTP secrets and the HMAC key of sent codes have keys of their own, derived from the master secret.
// It answers two things: the face MfaService's handlers call, and the gate other features call
// inside their own transactions (Login's challenge, the trusted devices a password change forgets).
import type { Config } from "../config.js";
import {
  createMfa,
  createSecondFactorGate,
  type Mfa,
  type MfaDeps,
  purgeExpired,
} from "../domain/mfa/index.js";
import { MFA_REPOSITORIES } from "../domain/persistence.js";
import type { SecondFactorGate } from "../domain/ports.js";
import type { SessionIssuer } from "../domain/sessions/index.js";
import type { Infrastructure } from "./infrastructure.js";
import type { Wired } from "./wired.js";

export interface MfaFace {
  /** MfaService's use cases (routes.ts). */
  mfa: Mfa;
  /** For accounts, identities and tenants, inside their own transactions. */
  secondFactor: SecondFactorGate;
}

/** The settings it uses. */
type Settings = Pick<
  Config,
  | "totpIssuer"
  | "trustedDeviceTtlSeconds"
  | "stepUpTtlSeconds"
  | "emailsPerAddress"
  | "recoveryCodeRegenerations"
  | "rateLimitWindowSeconds"
>;

export function wireMfa(
  infra: Pick<
    Infrastructure,
    "clock" | "unitOfWork" | "secrets" | "notices" | "rateLimiter" | "hasher" | "reauth"
  >,
  settings: Settings,
  needs: { sessions: SessionIssuer },
): Wired<MfaFace> {
  const deps: MfaDeps = {
    uow: infra.unitOfWork(MFA_REPOSITORIES),
    totpIssuer: settings.totpIssuer,
    trustedDeviceTtlSeconds: settings.trustedDeviceTtlSeconds,
    stepUpTtlSeconds: settings.stepUpTtlSeconds,
    recoveryCodeRegenerations: settings.recoveryCodeRegenerations,
    rateLimitWindowSeconds: settings.rateLimitWindowSeconds,
    clock: infra.clock,
    notices: infra.notices,
    sessions: needs.sessions,
    box: infra.secrets.box("authd/v1 totp secret encryption"),
    codeKey: infra.secrets.key("authd/v1 sent code hmac"),
    rateLimiter: infra.rateLimiter,
    // Codes sent per user are limited like the emails to one address.
    codesPerUser: settings.emailsPerAddress,
    hasher: infra.hasher,
    reauth: infra.reauth,
  };
  return {
    face: { mfa: createMfa(deps), secondFactor: createSecondFactorGate(deps) },
    closers: [],
    jobs: [
      // Expired challenges, codes, trusted devices and step-ups, and spent wrong-code counters.
      { name: "MFA purge", everyMs: 10 * 60_000, run: () => purgeExpired(deps.uow, deps.clock.now()) },
    ],
  };
}
