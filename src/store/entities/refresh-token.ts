import { Column, Entity, PrimaryColumn } from "typeorm";
import { millis } from "../columns.js";

/**
 * One link of a session's refresh-token chain. Only the SHA-256 of the token is kept. A row whose
 * `rotatedAt` is set was exchanged already: presenting it again is reuse (RFC 9700 §4.14.2).
 */
@Entity({ name: "refresh_tokens" })
export class RefreshTokenEntity {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id: string;

  @Column({ name: "session_id", type: "varchar", length: 36 })
  sessionId: string;

  @Column({ name: "token_hash", type: "varchar", length: 64, unique: true })
  tokenHash: string;

  @Column({ name: "created_at", type: "bigint", transformer: millis })
  createdAt: number;

  @Column({ name: "rotated_at", type: "bigint", nullable: true, transformer: millis })
  rotatedAt: number | null;

  /** The token that replaced this one. */
  @Column({ name: "replaced_by", type: "varchar", length: 36, nullable: true })
  replacedBy: string | null;

  /** When the grace period was used for this (rotated) token; it is usable that way only once. */
  @Column({ name: "grace_used_at", type: "bigint", nullable: true, transformer: millis })
  graceUsedAt: number | null;
}
