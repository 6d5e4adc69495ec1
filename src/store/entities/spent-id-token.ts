import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { millis } from "../columns.js";

/**
 * A provider ID token that signed in or linked an identity once, remembered until it expires so
 * that it cannot do so again. The key is a SHA-256 (domain/identities/replay.ts), never the token.
 */
@Entity({ name: "spent_id_tokens" })
export class SpentIdTokenEntity {
  /** Hex SHA-256 of the issuer and `jti`, or of the whole token when it has no `jti`. */
  @PrimaryColumn({ type: "varchar", length: 64 })
  key: string;

  /** The token's `exp` plus the allowed clock skew: past it the token verifies nowhere. */
  @Index("idx_spent_id_tokens_expires")
  @Column({ name: "expires_at", type: "bigint", transformer: millis })
  expiresAt: number;
}
