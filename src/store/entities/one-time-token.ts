import { Column, Entity, PrimaryColumn } from "typeorm";
import type { OneTimeTokenPurpose } from "../../domain/one-time-token-persistence.js";
import { json, millis } from "../columns.js";

/** An emailed single-use token. Only the SHA-256 of the token is stored. */
@Entity({ name: "one_time_tokens" })
export class OneTimeTokenEntity {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id: string;

  @Column({ type: "varchar", length: 32 })
  purpose: OneTimeTokenPurpose;

  @Column({ name: "user_id", type: "varchar", length: 36 })
  userId: string;

  @Column({ name: "token_hash", type: "varchar", length: 64, unique: true })
  tokenHash: string;

  /** Non-secret data the token stands for (the new address of an email change). */
  @Column({ type: "text", transformer: json<Record<string, string>>({}) })
  payload: Record<string, string>;

  @Column({ name: "created_at", type: "bigint", transformer: millis })
  createdAt: number;

  @Column({ name: "expires_at", type: "bigint", transformer: millis })
  expiresAt: number;

  /** Set when used, or when a newer token of the same purpose replaced it. */
  @Column({ name: "used_at", type: "bigint", nullable: true, transformer: millis })
  usedAt: number | null;
}
