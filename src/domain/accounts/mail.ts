// The emails of the account flows, queued in the caller's transaction through the outbox: a message
// goes out only if the change it reports commits.
import type { EntityManager } from "typeorm";
import type { Templates } from "../../delivery/templates.js";
import type { EmailMessage, MessageQueue } from "../ports.js";

const minutes = (ms: number) => Math.max(1, Math.round(ms / 60_000));

export class AccountMail {
  constructor(
    private readonly outbox: MessageQueue,
    private readonly templates: Templates,
  ) {}

  private send(em: EntityManager, to: string, message: Omit<EmailMessage, "to">): Promise<void> {
    return this.outbox.enqueueEmail(em, { to, ...message });
  }

  verifyEmail(em: EntityManager, to: string, token: string, validForMs: number) {
    return this.send(em, to, this.templates.verifyEmail({ token, expiresInMinutes: minutes(validForMs) }));
  }

  verifyNewEmail(em: EntityManager, to: string, token: string, validForMs: number) {
    return this.send(
      em,
      to,
      this.templates.verifyNewEmail({ token, expiresInMinutes: minutes(validForMs), newEmail: to }),
    );
  }

  passwordReset(em: EntityManager, to: string, token: string, validForMs: number) {
    return this.send(em, to, this.templates.passwordReset({ token, expiresInMinutes: minutes(validForMs) }));
  }

  confirmDeactivation(em: EntityManager, to: string, token: string, validForMs: number) {
    return this.send(
      em,
      to,
      this.templates.confirmDeactivation({ token, expiresInMinutes: minutes(validForMs) }),
    );
  }

  confirmDeletion(em: EntityManager, to: string, token: string, validForMs: number) {
    return this.send(
      em,
      to,
      this.templates.confirmDeletion({ token, expiresInMinutes: minutes(validForMs) }),
    );
  }

  registrationAttempt(em: EntityManager, to: string) {
    return this.send(em, to, this.templates.registrationAttempt());
  }

  /** Tells the mailbox that no account was made because the username it asked for is taken. */
  registrationUsernameTaken(em: EntityManager, to: string, username: string) {
    return this.send(em, to, this.templates.registrationUsernameTaken({ username }));
  }

  passwordChanged(em: EntityManager, to: string, change: { signedOutOthers: boolean }) {
    return this.send(em, to, this.templates.passwordChanged(change));
  }

  passwordWasReset(em: EntityManager, to: string) {
    return this.send(em, to, this.templates.passwordWasReset());
  }

  /** Tells the old address that the account moved to a new one. */
  emailChanged(em: EntityManager, oldEmail: string, newEmail: string) {
    return this.send(em, oldEmail, this.templates.emailChanged({ newEmail }));
  }

  accountDeactivated(em: EntityManager, to: string) {
    return this.send(em, to, this.templates.accountDeactivated());
  }

  /** Tells the owner that failed sign-ins locked the account, until when, and that a reset lifts it. */
  accountLocked(em: EntityManager, to: string, lockedForMs: number, until: number) {
    return this.send(em, to, this.templates.accountLocked({ lockedMinutes: minutes(lockedForMs), until }));
  }

  /** Tells the owner that a provider identity (a way to sign in) was linked or unlinked. */
  identityChanged(em: EntityManager, to: string, change: "linked" | "unlinked", provider: string) {
    return this.send(em, to, this.templates.identityChanged({ change, provider }));
  }

  accountDeleted(em: EntityManager, to: string) {
    return this.send(em, to, this.templates.accountDeleted());
  }
}
