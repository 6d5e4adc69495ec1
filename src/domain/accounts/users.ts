// Looking accounts up, in a use case's transaction (the repository guards every lookup).
import { notFound } from "../errors.js";
import { e164Form } from "../mobile-numbers.js";
import type { Repositories } from "../persistence.js";
import type { AccountRecord } from "./persistence.js";

/** The tenant's account with this email; none when the tenant is unknown (null). */
export function findUserByEmail(
  reads: Pick<Repositories, "accounts">,
  tenantId: string | null,
  email: string,
): Promise<AccountRecord | null> {
  if (tenantId === null) return Promise.resolve(null);
  return reads.accounts.findByEmail(tenantId, email);
}

/**
 * An identifier with '@' is an email; one starting with '+' a mobile number (looked up in E.164
 * form, however it is spaced; only a verified number finds its account); anything else a username.
 * Emails and usernames are stored lower-cased. No username starts with '+' (validation.ts), so the
 * three never overlap. Each kind is one indexed
 * lookup, so an unknown identifier of any kind costs what an unknown email does. Looked up in the
 * tenant only; an unknown tenant (null) has no accounts.
 */
export function findUserByIdentifier(
  reads: Pick<Repositories, "accounts">,
  tenantId: string | null,
  identifier: string,
): Promise<AccountRecord | null> {
  const key = identifier.trim().toLowerCase();
  // No email or username holds a control character, and PostgreSQL refuses a NUL in a query
  // parameter (Internal): such an identifier is simply unknown.
  if (tenantId === null || key === "" || /\p{Cc}/u.test(key)) return Promise.resolve(null);
  if (key.includes("@")) return reads.accounts.findByEmail(tenantId, key);
  if (key.startsWith("+")) return reads.accounts.findByMobile(tenantId, e164Form(key) ?? NO_NUMBER);
  return reads.accounts.findByUsername(tenantId, key);
}

/** Matches no stored number: a malformed one runs the same lookup as a well-formed unknown one. */
const NO_NUMBER = "+0";

export async function getUserOrThrow(
  reads: Pick<Repositories, "accounts">,
  userId: string,
): Promise<AccountRecord> {
  const user = await reads.accounts.findById(userId);
  if (!user) throw notFound("account not found");
  return user;
}

/** True for errors that mean a UNIQUE constraint refused a row, on SQLite and PostgreSQL. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; driverError?: { code?: string }; message?: string };
  const code = e.driverError?.code ?? e.code;
  return code === "23505" || code === "SQLITE_CONSTRAINT" || /UNIQUE constraint failed/.test(e.message ?? "");
}
