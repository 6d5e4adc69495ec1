// The text of every email authd sends: plain text plus a simple HTML version of the same words.
// Values are HTML-escaped in the HTML part; links are built here from AUTHD_PUBLIC_URL so callers
// only pass the token. Each message that carries a link or code says how long it is valid.
import type { EmailMessage } from "./messages.js";

export type RenderedEmail = Omit<EmailMessage, "to">;

export interface LinkInput {
  /** The single-use token to put in the link (added to the URL, escaped). */
  token: string;
  expiresInMinutes: number;
  /** An allowed return URL the link carries as `continue_url` (the page goes there afterwards). */
  continueUrl?: string | undefined;
}

export interface CodeInput {
  code: string;
  expiresInMinutes: number;
  /** What the code is for, in words ("signing in", ...). */
  purpose?: string;
}

export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** Minutes as words: "30 minutes", "1 hour", "2 days". */
export function describeMinutes(minutes: number): string {
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;
  if (minutes >= 24 * 60 && minutes % (24 * 60) === 0) return plural(minutes / (24 * 60), "day");
  if (minutes >= 60 && minutes % 60 === 0) return plural(minutes / 60, "hour");
  return plural(minutes, "minute");
}

/** A paragraph is either plain words or a link (shown as a button-like anchor and as a raw URL). */
type Block = string | { link: string; label: string };

function render(subject: string, blocks: Block[]): RenderedEmail {
  const text = blocks
    .map((b) => (typeof b === "string" ? b : `${b.label}:\n${b.link}`))
    .concat("-- \nThis message was sent by authd. If you did not expect it, you can ignore it.")
    .join("\n\n");
  const body = blocks
    .map((b) =>
      typeof b === "string"
        ? `<p>${escapeHtml(b)}</p>`
        : `<p><a href="${escapeHtml(b.link)}">${escapeHtml(b.label)}</a></p>` +
          `<p style="font-size:small;color:#555">${escapeHtml(b.link)}</p>`,
    )
    .join("\n");
  const html =
    `<!doctype html>\n<html><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>` +
    `<body style="font-family:sans-serif;line-height:1.5">\n${body}\n` +
    `<p style="font-size:small;color:#555">This message was sent by authd. If you did not expect it, you can ignore it.</p>` +
    "\n</body></html>";
  return { subject, text, html };
}

const NOT_YOU = "If this was not you, reset your password and contact support.";

export interface Templates {
  verifyEmail(input: LinkInput): RenderedEmail;
  verifyNewEmail(input: LinkInput & { newEmail: string }): RenderedEmail;
  passwordReset(input: LinkInput): RenderedEmail;
  /** `signedOutOthers`: the change also ended the other sessions and revoked the API keys. */
  passwordChanged(change?: { signedOutOthers: boolean }): RenderedEmail;
  passwordWasReset(): RenderedEmail;
  invitation(input: LinkInput): RenderedEmail;
  passwordSetByAdmin(input: { mustChange: boolean }): RenderedEmail;
  emailChanged(input: { newEmail: string }): RenderedEmail;
  confirmDeactivation(input: LinkInput): RenderedEmail;
  confirmDeletion(input: LinkInput): RenderedEmail;
  accountDeactivated(): RenderedEmail;
  accountDeleted(): RenderedEmail;
  registrationAttempt(): RenderedEmail;
  registrationUsernameTaken(input: { username: string }): RenderedEmail;
  oneTimeCode(input: CodeInput): RenderedEmail;
  secondFactorChanged(input: { change: "added" | "removed"; factor: string }): RenderedEmail;
  accountLocked(input: { lockedMinutes: number; until: number }): RenderedEmail;
  identityChanged(input: { change: "linked" | "unlinked"; provider: string }): RenderedEmail;
  /** To a tenant's administrators: someone became one (see AdminAddedNotice). */
  adminAdded(input: {
    tenantName: string;
    newAdmin: string;
    role: "admin" | "operator";
    how: "created" | "granted" | "invitation_accepted";
    by: string;
  }): RenderedEmail;
}

/** The link of an emailed single-use token: AUTHD_PUBLIC_URL + the page's path + the token. */
export function tokenLink(publicUrl: string, path: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, "")}${path}?token=${encodeURIComponent(token)}`;
}

/** Builds the templates for one public base URL (AUTHD_PUBLIC_URL). */
export function createTemplates(publicUrl: string): Templates {
  const link = (path: string, token: string, continueUrl?: string) =>
    tokenLink(publicUrl, path, token) +
    (continueUrl ? `&continue_url=${encodeURIComponent(continueUrl)}` : "");
  const valid = (minutes: number) =>
    `This link is valid for ${describeMinutes(minutes)} and can be used once.`;

  return {
    verifyEmail: ({ token, expiresInMinutes, continueUrl }) =>
      render("Verify your email address", [
        "Welcome! Please confirm that this is your email address.",
        { link: link("/verify-email", token, continueUrl), label: "Verify your email address" },
        valid(expiresInMinutes),
        "If you did not create an account, ignore this message.",
      ]),
    verifyNewEmail: ({ token, expiresInMinutes, newEmail, continueUrl }) =>
      render("Confirm your new email address", [
        `You asked to change the email address of your account to ${newEmail}. Please confirm it.`,
        { link: link("/verify-email", token, continueUrl), label: "Confirm your new email address" },
        valid(expiresInMinutes),
        "If you did not ask for this, ignore this message: nothing changes until the address is confirmed.",
      ]),
    passwordReset: ({ token, expiresInMinutes, continueUrl }) =>
      render("Reset your password", [
        "Someone asked to reset the password of your account. To choose a new password, follow this link.",
        { link: link("/reset-password", token, continueUrl), label: "Choose a new password" },
        valid(expiresInMinutes),
        "If you did not ask for this, ignore this message: your password has not changed.",
      ]),
    passwordChanged: (change) =>
      render("Your password was changed", [
        change?.signedOutOthers
          ? "The password of your account was just changed. Every other session was signed out and every API key revoked; pending email-change links no longer work."
          : "The password of your account was just changed. Pending email-change links no longer work.",
        NOT_YOU,
      ]),
    passwordWasReset: () =>
      render("Your password was reset", [
        "The password of your account was just reset. To lock out anyone who had access, every session was signed out, every API key revoked, every remembered device forgotten and every sign-in provider unlinked (link yours again from your account), and links sent earlier (email change, deactivation, deletion) no longer work.",
        "If this was not you, someone can read your email: secure your mailbox, then reset your password again and contact support.",
      ]),
    invitation: ({ token, expiresInMinutes }) =>
      render("You have been invited", [
        "An administrator created an account for you with this email address. To choose your password and sign in, follow this link.",
        { link: link("/reset-password", token), label: "Choose your password" },
        valid(expiresInMinutes),
        "If you did not expect this, ignore this message: nobody can sign in until a password is chosen.",
      ]),
    passwordSetByAdmin: ({ mustChange }) =>
      render("An administrator set your password", [
        mustChange
          ? "An administrator of your organisation set a new password for your account and every session was signed out. Before you can sign in, choose your own password with the password reset link on the sign-in page."
          : "An administrator of your organisation set a new password for your account and every session was signed out. Ask them for it, or choose your own with the password reset link on the sign-in page.",
        NOT_YOU,
      ]),
    emailChanged: ({ newEmail }) =>
      render("Your email address was changed", [
        `The email address of your account was changed to ${newEmail}. This address will no longer receive messages about the account.`,
        "If this was not you, contact support right away.",
      ]),
    confirmDeactivation: ({ token, expiresInMinutes, continueUrl }) =>
      render("Confirm the deactivation of your account", [
        "Someone asked to deactivate your account. To confirm, follow this link.",
        { link: link("/confirm-deactivation", token, continueUrl), label: "Deactivate my account" },
        valid(expiresInMinutes),
        "If you did not ask for this, ignore this message and consider changing your password.",
      ]),
    confirmDeletion: ({ token, expiresInMinutes, continueUrl }) =>
      render("Confirm the deletion of your account", [
        "Someone asked to delete your account and its personal data. This cannot be undone. To confirm, follow this link.",
        { link: link("/confirm-deletion", token, continueUrl), label: "Delete my account" },
        valid(expiresInMinutes),
        "If you did not ask for this, ignore this message and consider changing your password.",
      ]),
    accountDeactivated: () =>
      render("Your account was deactivated", [
        "Your account was deactivated and every session was signed out.",
        "If this was not you, contact support.",
      ]),
    accountDeleted: () =>
      render("Your account was deleted", [
        "Your account and its personal data were deleted. This is the last message you will receive from us.",
      ]),
    registrationAttempt: () =>
      render("Someone tried to register with your email address", [
        "Someone tried to create an account with this email address, but you already have one.",
        "If it was you, sign in instead, or reset your password if you forgot it.",
        "If it was not you, you can ignore this message: your account has not changed.",
      ]),
    registrationUsernameTaken: ({ username }) =>
      render("Your account was not created", [
        `Someone asked to create an account with this email address and the username "${username}", but that username is already taken, so no account was created.`,
        "If it was you, register again with another username, or with none (you can choose one later).",
        "If it was not you, you can ignore this message.",
      ]),
    oneTimeCode: ({ code, expiresInMinutes, purpose }) =>
      render("Your verification code", [
        purpose ? `Your code for ${purpose} is ${code}.` : `Your code is ${code}.`,
        `It is valid for ${describeMinutes(expiresInMinutes)} and can be used once. Never share it: we will never ask you for it.`,
        "If you did not ask for a code, someone may know your password: change it.",
      ]),
    accountLocked: ({ lockedMinutes, until }) =>
      render("Your account was locked after failed sign-ins", [
        "Someone made too many failed attempts to sign in to your account, so it is locked: while it is locked, no password is accepted, not even the right one.",
        `The lock ends in ${describeMinutes(lockedMinutes)}, at ${new Date(until).toISOString().slice(0, 16).replace("T", " ")} UTC.`,
        "To sign in sooner, reset your password: a password reset lifts the lock at once.",
        "If these attempts were not yours, someone may be guessing your password: choose a strong one you use nowhere else.",
      ]),
    secondFactorChanged: ({ change, factor }) =>
      render(`A second factor was ${change}`, [
        `A second factor (${factor}) was ${change} ${change === "added" ? "to" : "from"} your account.`,
        NOT_YOU,
      ]),
    identityChanged: ({ change, provider }) =>
      render(`A sign-in with ${provider} was ${change}`, [
        change === "linked"
          ? `An identity at ${provider} was linked to your account: it can now sign in to it.`
          : `An identity at ${provider} was unlinked from your account: it can no longer sign in to it.`,
        NOT_YOU,
      ]),
    adminAdded: ({ tenantName, newAdmin, role, how, by }) => {
      const title = role === "operator" ? "an operator" : "an administrator";
      return how === "invitation_accepted"
        ? render(`${newAdmin} can now sign in as ${title} of ${tenantName}`, [
            `${newAdmin} accepted the invitation to ${tenantName}, chose a password and can now sign in as ${title}.`,
            "You receive this because you administer it. If nobody should have this access, remove the role or the account now.",
          ])
        : render(`${newAdmin} is now ${title} of ${tenantName}`, [
            how === "created"
              ? `${by} created an account for ${newAdmin} in ${tenantName} with the "${role}" role.`
              : `${by} gave ${newAdmin} the "${role}" role in ${tenantName}.`,
            "You receive this because you administer it. If you did not expect this, remove the role, and tell the person who did it: their account may be in someone else's hands.",
          ]);
    },
  };
}
