// Accounts (the users table). Lookups by a client's value go through the guarded helpers; the
// sign-in counters are single conditional statements, so concurrent attempts never read-then-write.
// The writes that change a profile say so (profile-changed.ts); the sign-in counters and the
// password hash are no part of one.
import type { EntityManager } from "typeorm";
import type { AccountRecord, AccountRepository } from "../../domain/accounts/persistence.js";
import { UserEntity } from "../entities/user.js";
import { findOneStrict } from "../guard.js";
import { placeholders, queryReturning } from "../raw-sql.js";
import type { ProfileChanged } from "./profile-changed.js";

export function accountRepository(em: EntityManager, profileChanged: ProfileChanged): AccountRepository {
  const p = placeholders(em);
  return {
    findById: (id) => findOneStrict(em, UserEntity, { id }),
    findByEmail: (tenantId, email) => findOneStrict(em, UserEntity, { tenantId, email }),
    findByUsername: (tenantId, username) => findOneStrict(em, UserEntity, { tenantId, username }),
    findByMobile: (tenantId, mobile) => {
      if (!mobile) throw new Error("findByMobile needs a number");
      return findOneStrict(em, UserEntity, { tenantId, mobile, mobileVerified: true });
    },
    // A new account: no profile of it can be cached yet.
    insert: async (account: AccountRecord) => {
      const row = em.create(UserEntity, account);
      // Set after create: create() does not copy the JSON columns' plain objects reliably.
      row.settings = account.settings;
      row.roles = account.roles;
      await em.save(row);
    },
    update: async (id, changes) => {
      if (!id) throw new Error("update needs an account id");
      profileChanged(id);
      await em.update(UserEntity, { id }, changes);
    },
    replacePasswordHash: async (id, verifiedHash, newHash, now) => {
      // Clears passwordChangeRequired and moves updatedAt, both in the profile.
      profileChanged(id);
      const changed = await em
        .createQueryBuilder()
        .update(UserEntity)
        .set({ passwordHash: newHash, passwordChangeRequired: false, updatedAt: now })
        .where("id = :id AND password_hash = :verified", { id, verified: verifiedHash })
        .execute();
      return changed.affected === 1;
    },
    // The failure count and the lock, which no profile shows.
    countFailedSignIn: async (id, { max, lockEnds, now }) => {
      const [row] = await queryReturning<{ locked_until: number | string | null }>(
        em,
        `UPDATE users SET
           failed_logins = CASE WHEN failed_logins + 1 >= ${p(1)} THEN 0 ELSE failed_logins + 1 END,
           locked_until = CASE WHEN failed_logins + 1 >= ${p(2)} THEN ${p(3)} ELSE locked_until END
         WHERE id = ${p(4)} AND (locked_until IS NULL OR locked_until <= ${p(5)})
         RETURNING locked_until`,
        [max, max, lockEnds, id, now],
      );
      if (!row) return null;
      return { lockedUntil: row.locked_until === null ? null : Number(row.locked_until) };
    },
    // The failure count, the lock and the hash, which no profile shows.
    claimSignIn: async (id, verifiedHash, hashToKeep) => {
      const [row] = await queryReturning<{ status: string; email_verified: boolean | number | string }>(
        em,
        `UPDATE users SET failed_logins = 0, locked_until = NULL, password_hash = ${p(1)}
         WHERE id = ${p(2)} AND password_hash = ${p(3)}
         RETURNING status, email_verified`,
        [hashToKeep, id, verifiedHash],
      );
      if (!row) return null;
      const verified = row.email_verified;
      return { status: row.status, emailVerified: verified === true || Number(verified) === 1 };
    },
    isLockedUntil: async (id, until) =>
      (await findOneStrict(em, UserEntity, { id, lockedUntil: until })) !== null,
  };
}
