// What the domain tells people, by kind. The domain names the notice and its facts; delivery
// (src/delivery/notices.ts) renders it (texts, links built from AUTHD_PUBLIC_URL) and queues it in
// the caller's transaction, so it goes out only if the change it reports commits.
import type { Repositories } from "./persistence.js";
import type { Transaction } from "./unit-of-work.js";

/** A link carrying a single-use token, valid for `validForMs`. */
interface LinkNotice {
  to: string;
  token: string;
  validForMs: number;
  /** An allowed return URL (continue_url) the link carries; "" or absent for none. */
  continueUrl?: string;
}

export type Notice =
  | ({ kind: "verify_email" } & LinkNotice)
  | ({ kind: "verify_new_email" } & LinkNotice)
  | ({ kind: "password_reset" } & LinkNotice)
  | ({ kind: "confirm_deactivation" } & LinkNotice)
  | ({ kind: "confirm_deletion" } & LinkNotice)
  /** An administrator made an account for this address; the link sets its password (a reset token). */
  | ({ kind: "invitation" } & LinkNotice)
  | { kind: "registration_attempt"; to: string }
  /** No account was made because the username it asked for is taken. */
  | { kind: "registration_username_taken"; to: string; username: string }
  | { kind: "password_changed"; to: string; signedOutOthers: boolean }
  | { kind: "password_was_reset"; to: string }
  /** An administrator set the password; `mustChange`: the owner must choose a new one by the reset link. */
  | { kind: "password_set_by_admin"; to: string; mustChange: boolean }
  /** Told to the old address: the account moved to `newEmail`. */
  | { kind: "email_changed"; to: string; newEmail: string }
  | { kind: "account_deactivated"; to: string }
  | { kind: "account_deleted"; to: string }
  /** A provider identity (a way to sign in) was linked or unlinked. */
  | { kind: "identity_changed"; to: string; change: "linked" | "unlinked"; provider: string }
  | AdminAddedNotice
  /** Failed sign-ins locked the account until `until` (epoch ms); a reset lifts it. */
  | { kind: "account_locked"; to: string; lockedForMs: number; until: number }
  /** A one-time code by SMS or email; `purpose` in words ("signing in", ...). */
  | {
      kind: "one_time_code";
      channel: "sms" | "email";
      to: string;
      code: string;
      validForMs: number;
      purpose: string;
    }
  /** A second factor was added or removed (ASVS 6.3.7). */
  | {
      kind: "second_factor_changed";
      to: string;
      factor: "totp" | "sms" | "email" | "recovery_codes";
      change: "added" | "removed";
    };

/**
 * Told to a tenant's administrators: `newAdmin` (an email) now holds `role` in `tenantName`, because
 * `by` (an administrator's email) created the account so or granted the role, or because the
 * invited account's owner accepted the invitation (`by` is then empty).
 */
export interface AdminAddedNotice {
  kind: "admin_added";
  to: string;
  tenantName: string;
  newAdmin: string;
  role: "admin" | "operator";
  how: "created" | "granted" | "invitation_accepted";
  by: string;
}

export interface Notices {
  /** Queues the notice in `tx`: sent only if the transaction commits, retried until it is. */
  send(tx: Transaction<Pick<Repositories, "outbox">>, notice: Notice): Promise<void>;
}
