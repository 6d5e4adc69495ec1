// SMS providers. The webhook provider POSTs {to, text, id} as JSON to AUTHD_SMS_WEBHOOK_URL, signed
// like Stripe's webhooks so the receiver can check it came from authd and is fresh:
//   X-Authd-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
// `id` is the outbox message id: the same on every retry, so a receiver can drop duplicates.
// Without a webhook, development writes each SMS (code included) to the log; production refuses to
// send rather than log a code. The POST goes through the outbound port (https to a public address,
// no redirects, bounded: src/outbound/): a refused or failed delivery is retried by the outbox.
import { createHmac } from "node:crypto";
import type { Clock } from "../clock.js";
import type { OutboundHttp } from "../domain/outbound.js";
import type { Logger } from "../logger.js";
import type { SmsMessage } from "./messages.js";

export interface SmsProvider {
  /** Delivers one SMS or throws; `id` is the outbox id, stable across retries. */
  send(message: SmsMessage, id: string): Promise<void>;
}

export interface SmsOptions {
  webhookUrl: string | undefined;
  webhookSecret: string | undefined;
  env: "development" | "production";
  logger: Logger;
  clock: Clock;
  /** How the webhook is called. */
  http: OutboundHttp;
  /** How long to wait for the webhook; 10 seconds by default. */
  timeoutMs?: number;
}

export function createSmsProvider(options: SmsOptions): SmsProvider {
  if (options.webhookUrl !== undefined && options.webhookSecret !== undefined) {
    return webhookSmsProvider({
      url: options.webhookUrl,
      secret: options.webhookSecret,
      clock: options.clock,
      http: options.http,
      timeoutMs: options.timeoutMs,
    });
  }
  if (options.env === "production") return unconfiguredSmsProvider();
  return logSmsProvider(options.logger);
}

/** The signature header value for `body` sent at `unixSeconds`. */
export function signSmsWebhook(secret: string, unixSeconds: number, body: string): string {
  const mac = createHmac("sha256", secret).update(`${unixSeconds}.${body}`, "utf8").digest("hex");
  return `t=${unixSeconds},v1=${mac}`;
}

export class SmsWebhookError extends Error {
  constructor(readonly status: number) {
    super(`SMS webhook answered HTTP ${status}`);
    this.name = "SmsWebhookError";
  }
}

/** The receiver's answer is not used: a larger one is not a gateway's, and fails the delivery. */
const MAX_ANSWER_BYTES = 64 * 1024;

export function webhookSmsProvider(options: {
  url: string;
  secret: string;
  clock: Clock;
  http: OutboundHttp;
  timeoutMs?: number;
}): SmsProvider {
  const { url, secret, clock, http, timeoutMs = 10_000 } = options;
  return {
    async send(message, id) {
      const body = JSON.stringify({ to: message.to, text: message.text, id });
      const t = Math.floor(clock.now() / 1000);
      const response = await http.request({
        method: "POST",
        url,
        headers: { "content-type": "application/json", "x-authd-signature": signSmsWebhook(secret, t, body) },
        body,
        timeoutMs,
        maxBodyBytes: MAX_ANSWER_BYTES,
      });
      if (response.status < 200 || response.status > 299) throw new SmsWebhookError(response.status);
    },
  };
}

export function logSmsProvider(logger: Logger): SmsProvider {
  return {
    async send(message, id) {
      logger.info(
        { outboxId: id, to: message.to, text: message.text },
        "SMS (development: written to the log instead of sent; set AUTHD_SMS_WEBHOOK_URL to send)",
      );
    },
  };
}

export function unconfiguredSmsProvider(): SmsProvider {
  return {
    async send() {
      throw new Error("SMS delivery is not configured (AUTHD_SMS_WEBHOOK_URL)");
    },
  };
}
