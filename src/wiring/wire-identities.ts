// Provider sign-in (OpenID Connect) and linked identities. A sign-in ends like Login's (a session,
// or a challenge for the second factor). The spent ID tokens that have expired are purged.
import type { Config } from "../config.js";
import { createIdentities, type Identities } from "../domain/identities/index.js";
import { providerDocuments } from "../domain/identities/provider-fetch.js";
import { Providers } from "../domain/identities/providers.js";
import { purgeSpentIdTokens } from "../domain/identities/replay.js";
import { IDENTITY_REPOSITORIES } from "../domain/persistence.js";
import type { SecondFactorGate } from "../domain/ports.js";
import type { SessionIssuer } from "../domain/sessions/index.js";
import type { Infrastructure } from "./infrastructure.js";
import type { Wired } from "./wired.js";

/** The settings it uses. */
type Settings = Pick<Config, "oidcProviders" | "loginMaxFailuresPerIp" | "rateLimitWindowSeconds">;

export function wireIdentities(
  infra: Pick<
    Infrastructure,
    "clock" | "logger" | "unitOfWork" | "secrets" | "notices" | "reauth" | "rateLimiter" | "outbound"
  >,
  settings: Settings,
  needs: { sessions: SessionIssuer; secondFactor: SecondFactorGate },
): Wired<Identities> {
  const { clock } = infra;
  const uow = infra.unitOfWork(IDENTITY_REPOSITORIES);
  const identities = createIdentities({
    uow,
    clock,
    // The providers' documents are read through the outbound port (https to public addresses, no
    // redirects, bounded in time and size: provider-fetch.ts).
    providers: new Providers(settings.oidcProviders, clock, providerDocuments(infra.outbound), infra.logger),
    box: infra.secrets.box("authd/v1 provider tokens"),
    notices: infra.notices,
    signIn: { secondFactor: needs.secondFactor, sessions: needs.sessions, clock },
    reauth: infra.reauth,
    rateLimiter: infra.rateLimiter,
    limits: settings,
  });
  return {
    face: identities,
    closers: [],
    jobs: [
      // The spent ID tokens that have expired (they verify nowhere now).
      { name: "spent ID token purge", everyMs: 10 * 60_000, run: () => purgeSpentIdTokens({ uow, clock }) },
    ],
  };
}
