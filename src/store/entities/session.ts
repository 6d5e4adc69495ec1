import { Column, Entity, PrimaryColumn } from "typeorm";
import { json, millis } from "../columns.js";

/** One sign-in of one user on one client. */
@Entity({ name: "sessions" })
export class SessionEntity {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id: string;

  @Column({ name: "user_id", type: "varchar", length: 36 })
  userId: string;

  /** RFC 8176 method references. */
  @Column({ type: "text", transformer: json<string[]>([]) })
  amr: string[];

  @Column({ type: "varchar", length: 64, default: "" })
  ip: string;

  @Column({ name: "user_agent", type: "varchar", length: 512, default: "" })
  userAgent: string;

  @Column({ name: "created_at", type: "bigint", transformer: millis })
  createdAt: number;

  /** Last refresh or authenticated use; written at most once a minute. */
  @Column({ name: "last_used_at", type: "bigint", transformer: millis })
  lastUsedAt: number;

  /** Absolute end of the session. */
  @Column({ name: "expires_at", type: "bigint", transformer: millis })
  expiresAt: number;

  @Column({ name: "revoked_at", type: "bigint", nullable: true, transformer: millis })
  revokedAt: number | null;

  @Column({ name: "revoke_reason", type: "varchar", length: 64, nullable: true })
  revokeReason: string | null;
}
