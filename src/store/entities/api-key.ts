import { Column, Entity, PrimaryColumn } from "typeorm";
import { json, millis } from "../columns.js";

/** A long-lived credential for scripts and servers: `authd_<id>_<secret>`; only the secret's hash is kept. */
@Entity({ name: "api_keys" })
export class ApiKeyEntity {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id: string;

  @Column({ name: "user_id", type: "varchar", length: 36 })
  userId: string;

  @Column({ type: "varchar", length: 100 })
  name: string;

  /** The non-secret start of the key, shown in listings. */
  @Column({ type: "varchar", length: 64 })
  prefix: string;

  @Column({ name: "secret_hash", type: "varchar", length: 64 })
  secretHash: string;

  @Column({ type: "text", transformer: json<string[]>([]) })
  scopes: string[];

  @Column({ name: "created_at", type: "bigint", transformer: millis })
  createdAt: number;

  @Column({ name: "expires_at", type: "bigint", nullable: true, transformer: millis })
  expiresAt: number | null;

  @Column({ name: "last_used_at", type: "bigint", nullable: true, transformer: millis })
  lastUsedAt: number | null;

  @Column({ name: "revoked_at", type: "bigint", nullable: true, transformer: millis })
  revokedAt: number | null;
}
