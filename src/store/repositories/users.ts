import type { EntityManager } from "typeorm";
import type { UserRepository } from "../../domain/persistence.js";
import { UserEntity } from "../entities/user.js";
import { findOneStrict } from "../guard.js";

export function userRepository(em: EntityManager): UserRepository {
  return {
    findById: (id) => findOneStrict(em, UserEntity, { id }),
    recordSignIn: async (id, at) => {
      if (!id) throw new Error("recordSignIn needs an account id");
      await em.update(UserEntity, { id }, { lastSignInAt: at });
    },
  };
}
