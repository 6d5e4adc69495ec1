// The emails of the account flows, asked of delivery by kind (notices.ts) and queued in the caller's
// transaction: a message goes out only if the change it reports commits.
import type { AdminAddedNotice, Notices } from "../notices.js";
import type { AccountRepositories } from "../persistence.js";
import type { Transaction } from "../unit-of-work.js";

export class AccountMail {
  constructor(private readonly notices: Notices) {}

  verifyEmail(
    tx: Transaction<AccountRepositories>,
    to: string,
    token: string,
    validForMs: number,
    continueUrl = "",
  ) {
    return this.notices.send(tx, { kind: "verify_email", to, token, validForMs, continueUrl });
  }

  verifyNewEmail(
    tx: Transaction<AccountRepositories>,
    to: string,
    token: string,
    validForMs: number,
    continueUrl = "",
  ) {
    return this.notices.send(tx, { kind: "verify_new_email", to, token, validForMs, continueUrl });
  }

  passwordReset(
    tx: Transaction<AccountRepositories>,
    to: string,
    token: string,
    validForMs: number,
    continueUrl = "",
  ) {
    return this.notices.send(tx, { kind: "password_reset", to, token, validForMs, continueUrl });
  }

  confirmDeactivation(
    tx: Transaction<AccountRepositories>,
    to: string,
    token: string,
    validForMs: number,
    continueUrl = "",
  ) {
    return this.notices.send(tx, { kind: "confirm_deactivation", to, token, validForMs, continueUrl });
  }

  confirmDeletion(
    tx: Transaction<AccountRepositories>,
    to: string,
    token: string,
    validForMs: number,
    continueUrl = "",
  ) {
    return this.notices.send(tx, { kind: "confirm_deletion", to, token, validForMs, continueUrl });
  }

  registrationAttempt(tx: Transaction<AccountRepositories>, to: string) {
    return this.notices.send(tx, { kind: "registration_attempt", to });
  }

  /** Tells the mailbox that no account was made because the username it asked for is taken. */
  registrationUsernameTaken(tx: Transaction<AccountRepositories>, to: string, username: string) {
    return this.notices.send(tx, { kind: "registration_username_taken", to, username });
  }

  passwordChanged(tx: Transaction<AccountRepositories>, to: string, change: { signedOutOthers: boolean }) {
    return this.notices.send(tx, {
      kind: "password_changed",
      to,
      signedOutOthers: change.signedOutOthers,
    });
  }

  passwordWasReset(tx: Transaction<AccountRepositories>, to: string) {
    return this.notices.send(tx, { kind: "password_was_reset", to });
  }

  /** Tells the old address that the account moved to a new one. */
  emailChanged(tx: Transaction<AccountRepositories>, oldEmail: string, newEmail: string) {
    return this.notices.send(tx, { kind: "email_changed", to: oldEmail, newEmail });
  }

  accountDeactivated(tx: Transaction<AccountRepositories>, to: string) {
    return this.notices.send(tx, { kind: "account_deactivated", to });
  }

  /** Tells the owner that failed sign-ins locked the account, until when, and that a reset lifts it. */
  accountLocked(tx: Transaction<AccountRepositories>, to: string, lockedForMs: number, until: number) {
    return this.notices.send(tx, { kind: "account_locked", to, lockedForMs, until });
  }

  /** Tells the owner that a provider identity (a way to sign in) was linked or unlinked. */
  identityChanged(
    tx: Transaction<AccountRepositories>,
    to: string,
    change: "linked" | "unlinked",
    provider: string,
  ) {
    return this.notices.send(tx, { kind: "identity_changed", to, change, provider });
  }

  accountDeleted(tx: Transaction<AccountRepositories>, to: string) {
    return this.notices.send(tx, { kind: "account_deleted", to });
  }

  /** Tells a tenant's administrator that someone became one (administration/admin-notices.ts). */
  adminAdded(tx: Transaction<AccountRepositories>, notice: AdminAddedNotice) {
    return this.notices.send(tx, notice);
  }
}
