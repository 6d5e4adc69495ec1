// The texts of codes and notices. Codes appear only in the message itself, never in logs.

import type { AuthenticatorKind } from "../../store/entities/mfa.js";
import type { EmailMessage, SmsMessage } from "../ports.js";
import { SENT_CODE_TTL_SECONDS } from "./codes.js";

const minutes = Math.round(SENT_CODE_TTL_SECONDS / 60);

export function codeSms(to: string, code: string, purpose: string): SmsMessage {
  return { to, text: `Your authd code is ${code}. It is for ${purpose} and expires in ${minutes} minutes.` };
}

export function codeEmail(to: string, code: string, purpose: string): EmailMessage {
  const text = `Your code is ${code}\n\nIt is for ${purpose} and expires in ${minutes} minutes. If you did not ask for it, someone may know your password: change it.`;
  return {
    to,
    subject: `Your authd code: ${code}`,
    text,
    html: `<p>Your code is <strong>${code}</strong></p><p>It is for ${escapeHtml(purpose)} and expires in ${minutes} minutes. If you did not ask for it, someone may know your password: change it.</p>`,
  };
}

const kindNames: Record<AuthenticatorKind, string> = {
  totp: "an authenticator app",
  sms: "SMS codes",
  email: "email codes",
  recovery_codes: "recovery codes",
};

/** Tells the owner a factor was added or removed (ASVS 6.3.7). */
export function factorChangedEmail(
  to: string,
  kind: AuthenticatorKind,
  change: "added" | "removed",
): EmailMessage {
  const what = `${kindNames[kind]} ${change === "added" ? "was added to" : "was removed from"} your account`;
  const text = `A second factor changed: ${what}.\n\nIf this was not you, sign in, change your password and review your second factors and sessions.`;
  return {
    to,
    subject: `Second factor ${change}`,
    text,
    html: `<p>A second factor changed: ${escapeHtml(what)}.</p><p>If this was not you, sign in, change your password and review your second factors and sessions.</p>`,
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
