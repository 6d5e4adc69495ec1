// RFC 6238 time-based one-time passwords, through otplib v13. Every call passes the time
// explicitly (the server's Clock), never the library's own Date.now(), so tests move time and all
// replicas agree on what "now" means.
import { generate, generateSecret, generateURI, type HashAlgorithm, verify } from "otplib";

export interface TotpParameters {
  algorithm: HashAlgorithm;
  digits: 6 | 8;
  periodSeconds: number;
}

/** What every authenticator app understands (RFC 6238 defaults, Google Authenticator's format). */
export const defaultTotp: TotpParameters = { algorithm: "sha1", digits: 6, periodSeconds: 30 };

/** A new 160-bit secret (RFC 4226 §4) from a CSPRNG, base32-encoded. */
export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

/** The secret as base32 text or raw bytes (the RFC vectors use ASCII seeds). */
export type TotpSecret = string | Uint8Array;

export function totpCode(secret: TotpSecret, nowMs: number, params: TotpParameters = defaultTotp) {
  return generate({
    secret,
    epoch: Math.floor(nowMs / 1000),
    algorithm: params.algorithm,
    digits: params.digits,
    period: params.periodSeconds,
  });
}

/** The time step (counter) a time falls in. */
export function timeStep(nowMs: number, params: TotpParameters = defaultTotp): number {
  return Math.floor(nowMs / 1000 / params.periodSeconds);
}

/**
 * Checks `code` against the steps now-1, now and now+1 (one step of drift either way) and answers
 * the matching time step, or null. A step ≤ `afterStep` is refused: each code is accepted once
 * (RFC 6238 §5.2); the caller records the answered step atomically.
 */
export async function verifyTotp(
  secret: TotpSecret,
  code: string,
  nowMs: number,
  afterStep: number | null,
  params: TotpParameters = defaultTotp,
): Promise<number | null> {
  if (!new RegExp(`^\\d{${params.digits}}$`).test(code)) return null;
  const epoch = Math.floor(nowMs / 1000);
  const current = timeStep(nowMs, params);
  // otplib refuses an afterTimeStep beyond the window; nothing in the window can beat it anyway.
  if (afterStep !== null && afterStep >= current + 1) return null;
  const result = await verify({
    secret,
    token: code,
    epoch,
    algorithm: params.algorithm,
    digits: params.digits,
    period: params.periodSeconds,
    // [epoch - period, epoch + period] covers exactly the previous, current and next step.
    epochTolerance: params.periodSeconds,
    ...(afterStep !== null && afterStep >= 0 ? { afterTimeStep: afterStep } : {}),
  });
  if (!result.valid) return null;
  // The TOTP result carries the matched step; derive it from the matched period start otherwise.
  return "timeStep" in result ? result.timeStep : current + result.delta;
}

/** The otpauth://totp/<issuer>:<account>?secret=...&issuer=... URI that authenticator apps scan. */
export function totpUri(secret: string, issuer: string, account: string): string {
  return generateURI({ issuer, label: account, secret });
}
