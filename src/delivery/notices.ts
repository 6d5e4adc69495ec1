// Renders the domain's notices (src/domain/notices.ts) and queues them in the outbox.
import type { Notice, Notices } from "../domain/notices.js";
import type { MessageQueue, OutboxTransaction } from "./messages.js";
import type { LinkInput, RenderedEmail, Templates } from "./templates.js";

const minutes = (ms: number) => Math.max(1, Math.round(ms / 60_000));

const factorNames: Record<"totp" | "sms" | "email" | "recovery_codes", string> = {
  totp: "an authenticator app",
  sms: "SMS codes",
  email: "email codes",
  recovery_codes: "recovery codes",
};

/** A link notice's token, validity and return URL, as the templates take them. */
function linkOf(notice: { token: string; validForMs: number; continueUrl?: string }): LinkInput {
  return {
    token: notice.token,
    expiresInMinutes: minutes(notice.validForMs),
    continueUrl: notice.continueUrl,
  };
}

function renderEmail(templates: Templates, notice: Notice): RenderedEmail {
  switch (notice.kind) {
    case "verify_email":
      return templates.verifyEmail(linkOf(notice));
    case "verify_new_email":
      return templates.verifyNewEmail({ ...linkOf(notice), newEmail: notice.to });
    case "password_reset":
      return templates.passwordReset(linkOf(notice));
    case "confirm_deactivation":
      return templates.confirmDeactivation(linkOf(notice));
    case "confirm_deletion":
      return templates.confirmDeletion(linkOf(notice));
    case "registration_attempt":
      return templates.registrationAttempt();
    case "registration_username_taken":
      return templates.registrationUsernameTaken({ username: notice.username });
    case "password_changed":
      return templates.passwordChanged({ signedOutOthers: notice.signedOutOthers });
    case "password_was_reset":
      return templates.passwordWasReset();
    case "invitation":
      return templates.invitation({ token: notice.token, expiresInMinutes: minutes(notice.validForMs) });
    case "password_set_by_admin":
      return templates.passwordSetByAdmin({ mustChange: notice.mustChange });
    case "email_changed":
      return templates.emailChanged({ newEmail: notice.newEmail });
    case "account_deactivated":
      return templates.accountDeactivated();
    case "account_deleted":
      return templates.accountDeleted();
    case "identity_changed":
      return templates.identityChanged({ change: notice.change, provider: notice.provider });
    case "admin_added":
      return templates.adminAdded(notice);
    case "account_locked":
      return templates.accountLocked({ lockedMinutes: minutes(notice.lockedForMs), until: notice.until });
    case "one_time_code":
      return templates.oneTimeCode({
        code: notice.code,
        expiresInMinutes: Math.round(notice.validForMs / 60_000),
        purpose: notice.purpose,
      });
    case "second_factor_changed":
      return templates.secondFactorChanged({ change: notice.change, factor: factorNames[notice.factor] });
  }
}

export class OutboxNotices implements Notices {
  constructor(
    private readonly outbox: MessageQueue,
    private readonly templates: Templates,
  ) {}

  send(tx: OutboxTransaction, notice: Notice): Promise<void> {
    if (notice.kind === "one_time_code" && notice.channel === "sms") {
      const text = `Your authd code is ${notice.code}. It is for ${notice.purpose} and expires in ${Math.round(notice.validForMs / 60_000)} minutes.`;
      return this.outbox.enqueueSms(tx, { to: notice.to, text });
    }
    return this.outbox.enqueueEmail(tx, { to: notice.to, ...renderEmail(this.templates, notice) });
  }
}
