// Sends the outbox's emails: over SMTP (nodemailer) when AUTHD_SMTP_URL is set, otherwise, in
// development only, to the log so that a newcomer can follow a registration without a mail server.
// That log line holds the message text, links and codes included: the one documented exception to
// "no secret in logs", which config.ts makes impossible in production (no SMTP URL, no start).
import nodemailer from "nodemailer";
import addressparser from "nodemailer/lib/addressparser/index.js";
import SMTPTransport from "nodemailer/lib/smtp-transport/index.js";
import { isPlainMailbox } from "../domain/email-address.js";
import type { Logger } from "../logger.js";
import type { EmailMessage } from "./messages.js";

export interface EmailSender {
  /** Delivers one message or throws; `id` is the outbox id (a Message-ID hint for tracing). */
  send(message: EmailMessage, id: string): Promise<void>;
  close(): void;
}

export interface MailerOptions {
  smtpUrl: string | undefined;
  mailFrom: string;
  env: "development" | "production";
  logger: Logger;
}

export function createEmailSender(options: MailerOptions): EmailSender {
  if (options.smtpUrl !== undefined) return smtpSender(options.smtpUrl, options.mailFrom);
  if (options.env === "production") throw new Error("AUTHD_SMTP_URL is required in production");
  return logSender(options.logger);
}

/**
 * Refuses a recipient that is not exactly one plain mailbox. The domain validates every address it
 * stores; this second check means a row that slipped past it (an old account, a bug) still cannot
 * make nodemailer read a display name or a list and deliver to someone else.
 */
export function assertSingleRecipient(to: string): void {
  const parsed = addressparser(to, { flatten: true });
  const only = parsed.length === 1 ? parsed[0] : undefined;
  if (!isPlainMailbox(to) || only?.address !== to || only.name !== "") {
    throw new Error("refused recipient: not a single plain email address");
  }
}

export function smtpSender(smtpUrl: string, mailFrom: string): EmailSender {
  // nodemailer's defaults wait minutes for a dead server; the outbox retries instead.
  const transport = nodemailer.createTransport(
    new SMTPTransport({
      url: smtpUrl,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    }),
  );
  return {
    async send(message, id) {
      assertSingleRecipient(message.to);
      await transport.sendMail({
        from: mailFrom,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        headers: { "X-Authd-Message-Id": id },
      });
    },
    close: () => transport.close(),
  };
}

export function logSender(logger: Logger): EmailSender {
  return {
    async send(message, id) {
      logger.info(
        { outboxId: id, to: message.to, subject: message.subject, text: message.text },
        "email (development: written to the log instead of sent; set AUTHD_SMTP_URL to send)",
      );
    },
    close: () => undefined,
  };
}
