// Captcha checks against an hCaptcha / Cloudflare Turnstile style "siteverify" endpoint: a form POST
// of the secret, the token and the client IP, answered with JSON whose `success` says it all.
// Anything but an explicit success (missing token, network error, timeout, odd answer) is a failure.
// The POST goes through one injected function (CaptchaPost), which the wiring provides.
import type { CaptchaVerifier, Logger } from "./ports.js";

/** One form POST to the provider; the global fetch is one. */
export type CaptchaPost = (
  url: string,
  init: { method: "POST"; headers: Record<string, string>; body: URLSearchParams; signal: AbortSignal },
) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;

export interface CaptchaOptions {
  verifyUrl: string | undefined;
  secret: string | undefined;
  logger: Pick<Logger, "warn">;
  post: CaptchaPost;
  /** How long to wait for the provider; 5 seconds by default. */
  timeoutMs?: number;
}

export function createCaptchaVerifier(options: CaptchaOptions): CaptchaVerifier {
  const { verifyUrl, secret, logger, post } = options;
  if (verifyUrl === undefined || secret === undefined) return { verify: async () => true };
  const timeoutMs = options.timeoutMs ?? 5000;
  return {
    async verify(token: string, ip: string): Promise<boolean> {
      if (token.trim() === "") return false;
      const form = new URLSearchParams({ secret, response: token });
      if (ip !== "") form.set("remoteip", ip);
      try {
        const response = await post(verifyUrl, {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
          body: form,
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (!response.ok) {
          logger.warn({ status: response.status }, "captcha provider answered an error");
          return false;
        }
        const body = (await response.json()) as { success?: unknown };
        return body.success === true;
      } catch (err) {
        logger.warn(
          { err: { name: (err as Error).name, message: (err as Error).message } },
          "captcha check failed",
        );
        return false;
      }
    },
  };
}
