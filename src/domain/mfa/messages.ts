// The texts of codes and notices. Codes appear only in the message itself, never in logs.

import type { Templates } from "../../delivery/templates.js";
import type { AuthenticatorKind } from "../../store/entities/mfa.js";
import type { EmailMessage, SmsMessage } from "../ports.js";
import { SENT_CODE_TTL_SECONDS } from "./codes.js";

const minutes = Math.round(SENT_CODE_TTL_SECONDS / 60);

export function codeSms(to: string, code: string, purpose: string): SmsMessage {
  return { to, text: `Your authd code is ${code}. It is for ${purpose} and expires in ${minutes} minutes.` };
}

export function codeEmail(templates: Templates, to: string, code: string, purpose: string): EmailMessage {
  return { to, ...templates.oneTimeCode({ code, expiresInMinutes: minutes, purpose }) };
}

const kindNames: Record<AuthenticatorKind, string> = {
  totp: "an authenticator app",
  sms: "SMS codes",
  email: "email codes",
  recovery_codes: "recovery codes",
};

/** Tells the owner a factor was added or removed (ASVS 6.3.7). */
export function factorChangedEmail(
  templates: Templates,
  to: string,
  kind: AuthenticatorKind,
  change: "added" | "removed",
): EmailMessage {
  return { to, ...templates.secondFactorChanged({ change, factor: kindNames[kind] }) };
}
