// The gates in front of work a client may ask for in bulk: the captcha, the counted limits, and the
// gate of every request that may email an account (Register's address, the public "email me"
// RPCs, an email change, a closure link). Each refuses before anything is looked up or mailed.
import { invalidArgument, resourceExhausted, withReason } from "../errors.js";
import type { ClientInfo } from "../ports.js";
import { mailableTenantId } from "../tenants/scope.js";
import type { Uses } from "./deps.js";
import { normalizeEmail } from "./validation.js";

export async function checkCaptcha(deps: Uses<"captcha">, token: string, client: ClientInfo): Promise<void> {
  if (!(await deps.captcha.verify(token, client.ip))) {
    throw withReason(
      "CAPTCHA_FAILED",
      invalidArgument("captcha_token", "captcha verification failed or the token is missing"),
    );
  }
}

/**
 * The key of the per-address email limit. Counted per tenant account: one address may have an
 * account in several tenants, and requests in one must not use up another's allowance.
 */
export const emailLimitKey = (tenantId: string, email: string) => `email:${tenantId}:${email}`;

/** Counts one request against a limit and refuses it with the wait when over. */
export async function limit(
  deps: Uses<"rateLimiter", "rateLimitWindowSeconds">,
  key: string,
  max: number,
  what: string,
): Promise<void> {
  const result = await deps.rateLimiter.consume(key, max, deps.config.rateLimitWindowSeconds);
  if (!result.allowed) throw resourceExhausted(`too many ${what}`, result.retryAfterSeconds);
}

/** Who a public "email me" request names: an account's email in a tenant. */
export interface EmailRequest {
  email: string;
  /** The tenant's slug; empty means the default tenant. */
  tenant: string;
  captchaToken: string;
}

/** What the gate of a request that may email an account uses. */
export type MailRequestDeps = Uses<
  "captcha" | "rateLimiter" | "uow",
  "rateLimitWindowSeconds" | "emailsPerIp" | "emailsPerAddress"
>;

/**
 * The gate of every public "email me" RPC: a valid address, the captcha, and the per-IP and
 * per-address limits, counted whether or not the address is registered. Answers the address and
 * the id of the active tenant named (null when none: such a request reaches no account, and its
 * answer is the one for an unknown account).
 */
export async function admitEmailRequest(
  deps: MailRequestDeps,
  request: EmailRequest,
  client: ClientInfo,
): Promise<{ email: string; tenantId: string | null }> {
  const email = normalizeEmail(request.email);
  const tenantId = await admitMailRequest(
    deps,
    request,
    client,
    (tenantKey) => emailLimitKey(tenantKey, email),
    "emails to this address",
  );
  return { email, tenantId };
}

/**
 * The gate of every request that may email an account named by the caller: the captcha, the limit
 * per client address, the tenant, then the limit per recipient (`recipientKey` of the tenant's key).
 * Answers the tenant's id, or null for an unknown or suspended tenant (whose requests are counted
 * under a key of their own: the answer must not tell it apart from a known tenant's by when the
 * limit starts refusing).
 */
export async function admitMailRequest(
  deps: MailRequestDeps,
  request: { tenant: string; captchaToken: string },
  client: ClientInfo,
  recipientKey: (tenantKey: string) => string,
  recipient: string,
): Promise<string | null> {
  await checkCaptcha(deps, request.captchaToken, client);
  await limit(
    deps,
    `email:ip:${client.rateLimitKey}`,
    deps.config.emailsPerIp,
    "email requests from this address",
  );
  const tenantId = await deps.uow.read((reads) => mailableTenantId(reads, request.tenant));
  const tenantKey = tenantId ?? `unknown:${request.tenant.slice(0, 63)}`;
  await limit(deps, recipientKey(tenantKey), deps.config.emailsPerAddress, recipient);
  return tenantId;
}
