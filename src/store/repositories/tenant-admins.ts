// The account writes of `authd admin create` (src/domain/tenants/admin-bootstrap.ts) over TypeORM.

import { issueToken } from "../../domain/one-time-tokens.js";
import { NO_PASSWORD } from "../../domain/passwords.js";
import type { Transaction } from "../../domain/persistence.js";
import type { AdminAccounts } from "../../domain/tenants/admin-bootstrap.js";
import { UserEntity } from "../entities/user.js";
import { findOneStrict } from "../guard.js";
import { emOf } from "../unit-of-work.js";

export function adminAccounts(tx: Transaction): AdminAccounts {
  const em = emOf(tx);
  return {
    find: (tenantId, email) => findOneStrict(em, UserEntity, { tenantId, email }),
    create: async ({ id, tenantId, email, roles, now }) => {
      const user = em.create(UserEntity, {
        id,
        email,
        // The operator vouches for the address: the link that sets the password is handed over by
        // them, not mailed, so no verification email would ever arrive.
        emailVerified: true,
        username: null,
        firstName: "",
        lastName: "",
        mobile: "",
        mobileVerified: false,
        language: "",
        timezone: "",
        status: "active",
        tenantId,
        passwordHash: NO_PASSWORD,
        failedLogins: 0,
        lockedUntil: null,
        createdAt: now,
        updatedAt: now,
      });
      user.settings = {};
      user.roles = roles;
      await em.insert(UserEntity, user);
    },
    setRoles: async (userId, roles, now) => {
      if (!userId) throw new Error("setRoles needs a user id");
      await em.update(UserEntity, { id: userId }, { roles, updatedAt: now });
    },
    issuePasswordToken: async (userId, now, ttlSeconds) =>
      (await issueToken(em, now, "reset_password", userId, ttlSeconds)).token,
  };
}
