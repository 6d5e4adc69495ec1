// Accounts: registration, sign-in, passwords, profile, closure. The public "email me" RPCs record
// their work and do it after answering (after-reply.ts); the sweep for work a crashed process left
// behind is a periodic job, and shutdown waits for the work in flight.
import { handleAccountWork } from "../domain/accounts/deferred.js";
import type { AccountDeps } from "../domain/accounts/deps.js";
import { AccountMail } from "../domain/accounts/mail.js";
import { AfterReply, SWEEP_INTERVAL_MS } from "../domain/after-reply.js";
import type { Mfa } from "../domain/mfa/mfa.js";
import { ACCOUNT_REPOSITORIES } from "../domain/persistence.js";
import type { ApiKeyRevoker, SessionIssuer } from "../domain/sessions/index.js";
import type { Infrastructure } from "./infrastructure.js";
import type { Wired } from "./wired.js";

/** The settings it uses (AccountSettings, domain/accounts/deps.ts). */
type Settings = AccountDeps["config"];

export function wireAccounts(
  infra: Pick<
    Infrastructure,
    | "clock"
    | "logger"
    | "unitOfWork"
    | "hasher"
    | "passwords"
    | "reauth"
    | "rateLimiter"
    | "captcha"
    | "notices"
    | "profiles"
  >,
  settings: Settings,
  needs: { sessions: SessionIssuer; mfa: Mfa; apiKeys: ApiKeyRevoker },
): Wired<AccountDeps> {
  const uow = infra.unitOfWork(ACCOUNT_REPOSITORIES);
  const afterReply = new AfterReply({ uow, clock: infra.clock, logger: infra.logger });
  const accounts: AccountDeps = {
    config: settings,
    clock: infra.clock,
    uow,
    hasher: infra.hasher,
    passwords: infra.passwords,
    rateLimiter: infra.rateLimiter,
    captcha: infra.captcha,
    mail: new AccountMail(infra.notices),
    profiles: infra.profiles,
    sessions: needs.sessions,
    apiKeys: needs.apiKeys,
    secondFactor: needs.mfa,
    reauth: infra.reauth,
    afterReply,
  };
  handleAccountWork(accounts);
  return {
    face: accounts,
    // Answered requests keep their work: it finishes before delivery and the store close.
    closers: [() => afterReply.settled()],
    jobs: [
      { name: "after-reply sweep", everyMs: SWEEP_INTERVAL_MS, atStart: true, run: () => afterReply.sweep() },
    ],
  };
}
