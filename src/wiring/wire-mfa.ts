// The second factor: authenticators, sign-in challenges, trusted devices and step-up. Its sealed
// TOTP secrets and the HMAC key of sent codes have keys of their own, derived from the master secret.
import type { Config } from "../config.js";
import { Mfa } from "../domain/mfa/mfa.js";
import { MFA_REPOSITORIES } from "../domain/persistence.js";
import type { SessionIssuer } from "../domain/sessions/index.js";
import type { Infrastructure } from "./infrastructure.js";
import type { Wired } from "./wired.js";

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
): Wired<Mfa> {
  const mfa = new Mfa(
    {
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
    },
    infra.unitOfWork(MFA_REPOSITORIES),
  );
  return {
    face: mfa,
    closers: [],
    jobs: [{ name: "MFA purge", everyMs: 10 * 60_000, run: () => mfa.purgeExpired() }],
  };
}
