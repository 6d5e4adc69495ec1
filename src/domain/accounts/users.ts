// Looking accounts up. Every lookup by a caller-supplied value goes through the guarded helpers.
import type { EntityManager } from "typeorm";
import { UserEntity } from "../../store/entities/user.js";
import { findOneStrict } from "../../store/guard.js";
import { notFound } from "../errors.js";

export function findUserByEmail(em: EntityManager, email: string): Promise<UserEntity | null> {
  return findOneStrict(em, UserEntity, { email });
}

/** An identifier with '@' is an email; anything else a username. Both are stored lower-cased. */
export function findUserByIdentifier(em: EntityManager, identifier: string): Promise<UserEntity | null> {
  const key = identifier.trim().toLowerCase();
  // No email or username holds a control character, and PostgreSQL refuses a NUL in a query
  // parameter (Internal): such an identifier is simply unknown.
  if (key === "" || /\p{Cc}/u.test(key)) return Promise.resolve(null);
  return key.includes("@")
    ? findOneStrict(em, UserEntity, { email: key })
    : findOneStrict(em, UserEntity, { username: key });
}

export async function getUserOrThrow(em: EntityManager, userId: string): Promise<UserEntity> {
  const user = await findOneStrict(em, UserEntity, { id: userId });
  if (!user) throw notFound("account not found");
  return user;
}

/** True for errors that mean a UNIQUE constraint refused a row, on SQLite and PostgreSQL. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; driverError?: { code?: string }; message?: string };
  const code = e.driverError?.code ?? e.code;
  return code === "23505" || code === "SQLITE_CONSTRAINT" || /UNIQUE constraint failed/.test(e.message ?? "");
}
