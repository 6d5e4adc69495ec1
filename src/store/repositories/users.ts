import type { EntityManager } from "typeorm";
import type { UserRepository } from "../../domain/persistence.js";
import { UserEntity } from "../entities/user.js";
import { findOneStrict } from "../guard.js";
import type { ProfileChanged } from "./profile-changed.js";

export function userRepository(em: EntityManager, profileChanged: ProfileChanged): UserRepository {
  return {
    findById: (id) => findOneStrict(em, UserEntity, { id }),
    recordSignIn: async (id, at) => {
      if (!id) throw new Error("recordSignIn needs an account id");
      // The profile shows the last sign-in.
      profileChanged(id);
      await em.update(UserEntity, { id }, { lastSignInAt: at });
    },
  };
}
