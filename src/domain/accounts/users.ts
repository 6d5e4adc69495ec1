// Looking accounts up, in a use case's transaction (the repository guards every lookup).
import { notFound } from "../errors.js";
import type { Transaction } from "../persistence.js";
import type { AccountRecord } from "./persistence.js";

export function findUserByEmail(tx: Transaction, email: string): Promise<AccountRecord | null> {
  return tx.accounts.findByEmail(email);
}

/** An identifier with '@' is an email; anything else a username. Both are stored lower-cased. */
export function findUserByIdentifier(tx: Transaction, identifier: string): Promise<AccountRecord | null> {
  const key = identifier.trim().toLowerCase();
  // No email or username holds a control character, and PostgreSQL refuses a NUL in a query
  // parameter (Internal): such an identifier is simply unknown.
  if (key === "" || /\p{Cc}/u.test(key)) return Promise.resolve(null);
  return key.includes("@") ? tx.accounts.findByEmail(key) : tx.accounts.findByUsername(key);
}

export async function getUserOrThrow(tx: Transaction, userId: string): Promise<AccountRecord> {
  const user = await tx.accounts.findById(userId);
  if (!user) throw notFound("account not found");
  return user;
}

/** True for errors that mean a UNIQUE constraint refused a row, on SQLite and PostgreSQL. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; driverError?: { code?: string }; message?: string };
  const code = e.driverError?.code ?? e.code;
  return code === "23505" || code === "SQLITE_CONSTRAINT" || /UNIQUE constraint failed/.test(e.message ?? "");
}
