// Captcha checks against an hCaptcha / Cloudflare Turnstile style "siteverify" endpoint: a form POST
// of the secret, the token and the client IP, answered with JSON whose `success` says it all.
// Anything but an explicit success (missing token, refused URL, network error, timeout, odd answer)
// is a failure. The POST goes through the outbound port (OutboundHttp: https to a public address, no
// redirects, bounded), which the wiring provides.
import { type OutboundHttp, OutboundRefused, OutboundUnavailable } from "./outbound.js";
import type { CaptchaVerifier, Logger } from "./ports.js";

/** A siteverify answer is a few hundred bytes of JSON. */
const MAX_ANSWER_BYTES = 64 * 1024;

export interface CaptchaOptions {
  verifyUrl: string | undefined;
  secret: string | undefined;
  logger: Pick<Logger, "warn">;
  http: OutboundHttp;
  /** How long to wait for the provider; 5 seconds by default. */
  timeoutMs?: number;
}

export function createCaptchaVerifier(options: CaptchaOptions): CaptchaVerifier {
  const { verifyUrl, secret, logger, http } = options;
  if (verifyUrl === undefined || secret === undefined) return { verify: async () => true };
  const timeoutMs = options.timeoutMs ?? 5000;
  return {
    async verify(token: string, ip: string): Promise<boolean> {
      if (token.trim() === "") return false;
      const form = new URLSearchParams({ secret, response: token });
      if (ip !== "") form.set("remoteip", ip);
      try {
        const response = await http.request({
          method: "POST",
          url: verifyUrl,
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: form.toString(),
          timeoutMs,
          maxBodyBytes: MAX_ANSWER_BYTES,
        });
        if (response.status < 200 || response.status > 299) {
          logger.warn({ status: response.status }, "captcha provider answered an error");
          return false;
        }
        const body = JSON.parse(new TextDecoder().decode(response.body)) as { success?: unknown };
        return body?.success === true;
      } catch (err) {
        // An outbound refusal or failure names the host at most, never the URL's path.
        const reason =
          err instanceof OutboundRefused || err instanceof OutboundUnavailable ? err.reason : undefined;
        logger.warn(
          { reason, err: { name: (err as Error).name, message: (err as Error).message } },
          "captcha check failed",
        );
        return false;
      }
    },
  };
}
