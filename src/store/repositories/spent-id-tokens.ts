// The provider ID tokens already accepted. Spending one is a single INSERT ... ON CONFLICT DO
// NOTHING on the primary key, so of two replicas presenting one token at once exactly one inserts
// the row (PostgreSQL makes the second wait for the first's commit, then skip), on SQLite and on
// PostgreSQL alike.
import type { EntityManager } from "typeorm";
import type { SpentIdTokenRepository } from "../../domain/identities/persistence.js";
import { queryReturning } from "../raw-sql.js";

export function spentIdTokenRepository(em: EntityManager): SpentIdTokenRepository {
  const p = (n: number) => (em.connection.options.type === "postgres" ? `$${n}` : "?");
  return {
    spend: async (key, expiresAt) => {
      if (!key) throw new Error("spend needs a key");
      const rows = await queryReturning<{ key: string }>(
        em,
        `INSERT INTO spent_id_tokens ("key", expires_at) VALUES (${p(1)}, ${p(2)})
          ON CONFLICT ("key") DO NOTHING RETURNING "key"`,
        [key, expiresAt],
      );
      return rows.length === 1;
    },
    purgeExpired: async (now) => {
      const rows = await queryReturning<{ key: string }>(
        em,
        `DELETE FROM spent_id_tokens WHERE expires_at <= ${p(1)} RETURNING "key"`,
        [now],
      );
      return rows.length;
    },
  };
}
