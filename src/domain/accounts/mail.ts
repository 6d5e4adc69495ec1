// The emails of the account flows, asked of delivery by kind (notices.ts) and queued in the caller's
// transaction: a message goes out only if the change it reports commits.
import type { EntityManager } from "typeorm";
import { txOf } from "../../store/unit-of-work.js";
import type { Notices } from "../notices.js";

export class AccountMail {
  constructor(private readonly notices: Notices) {}

  verifyEmail(em: EntityManager, to: string, token: string, validForMs: number) {
    return this.notices.send(txOf(em), { kind: "verify_email", to, token, validForMs });
  }

  verifyNewEmail(em: EntityManager, to: string, token: string, validForMs: number) {
    return this.notices.send(txOf(em), { kind: "verify_new_email", to, token, validForMs });
  }

  passwordReset(em: EntityManager, to: string, token: string, validForMs: number) {
    return this.notices.send(txOf(em), { kind: "password_reset", to, token, validForMs });
  }

  confirmDeactivation(em: EntityManager, to: string, token: string, validForMs: number) {
    return this.notices.send(txOf(em), { kind: "confirm_deactivation", to, token, validForMs });
  }

  confirmDeletion(em: EntityManager, to: string, token: string, validForMs: number) {
    return this.notices.send(txOf(em), { kind: "confirm_deletion", to, token, validForMs });
  }

  registrationAttempt(em: EntityManager, to: string) {
    return this.notices.send(txOf(em), { kind: "registration_attempt", to });
  }

  /** Tells the mailbox that no account was made because the username it asked for is taken. */
  registrationUsernameTaken(em: EntityManager, to: string, username: string) {
    return this.notices.send(txOf(em), { kind: "registration_username_taken", to, username });
  }

  passwordChanged(em: EntityManager, to: string, change: { signedOutOthers: boolean }) {
    return this.notices.send(txOf(em), {
      kind: "password_changed",
      to,
      signedOutOthers: change.signedOutOthers,
    });
  }

  passwordWasReset(em: EntityManager, to: string) {
    return this.notices.send(txOf(em), { kind: "password_was_reset", to });
  }

  /** Tells the old address that the account moved to a new one. */
  emailChanged(em: EntityManager, oldEmail: string, newEmail: string) {
    return this.notices.send(txOf(em), { kind: "email_changed", to: oldEmail, newEmail });
  }

  accountDeactivated(em: EntityManager, to: string) {
    return this.notices.send(txOf(em), { kind: "account_deactivated", to });
  }

  /** Tells the owner that failed sign-ins locked the account, until when, and that a reset lifts it. */
  accountLocked(em: EntityManager, to: string, lockedForMs: number, until: number) {
    return this.notices.send(txOf(em), { kind: "account_locked", to, lockedForMs, until });
  }

  /** Tells the owner that a provider identity (a way to sign in) was linked or unlinked. */
  identityChanged(em: EntityManager, to: string, change: "linked" | "unlinked", provider: string) {
    return this.notices.send(txOf(em), { kind: "identity_changed", to, change, provider });
  }

  accountDeleted(em: EntityManager, to: string) {
    return this.notices.send(txOf(em), { kind: "account_deleted", to });
  }
}
