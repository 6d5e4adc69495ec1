// Accounts: registration, sign-in, passwords, profile, closure. The public "email me" RPCs record
// their work and do it after answering (after-reply.ts); the sweep for work a crashed process left
// behind is a periodic job, and shutdown waits for the work in flight.
import {
  type AccountDeps,
  type AccountSettings,
  type Accounts,
  createAccounts,
} from "../domain/accounts/index.js";
import { AccountMail } from "../domain/accounts/mail.js";
import { AfterReply, SWEEP_INTERVAL_MS } from "../domain/after-reply.js";
import { ACCOUNT_REPOSITORIES } from "../domain/persistence.js";
import type { SecondFactorGate } from "../domain/ports.js";
import type { ApiKeyRevoker, SessionIssuer } from "../domain/sessions/index.js";
import type { Infrastructure } from "./infrastructure.js";
import type { Wired } from "./wired.js";

export interface AccountsFace {
  accounts: Accounts;
  /** The work left for after an answer: the app's internals hand it to the tests, which wait for it. */
  afterReply: { settled(): Promise<void> };
}

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
  settings: AccountSettings,
  needs: { sessions: SessionIssuer; secondFactor: SecondFactorGate; apiKeys: ApiKeyRevoker },
): Wired<AccountsFace> {
  const uow = infra.unitOfWork(ACCOUNT_REPOSITORIES);
  const afterReply = new AfterReply({ uow, clock: infra.clock, logger: infra.logger });
  const deps: AccountDeps = {
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
    secondFactor: needs.secondFactor,
    reauth: infra.reauth,
    afterReply,
  };
  return {
    face: { accounts: createAccounts(deps), afterReply },
    // Answered requests keep their work: it finishes before delivery and the store close.
    closers: [() => afterReply.settled()],
    jobs: [
      { name: "after-reply sweep", everyMs: SWEEP_INTERVAL_MS, atStart: true, run: () => afterReply.sweep() },
    ],
  };
}
