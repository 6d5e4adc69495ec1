import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { defaultTenant, json, millis } from "../columns.js";

export type UserStatus = "active" | "deactivated";

/**
 * Email and username are unique per tenant (a NULL username never collides). A verified mobile
 * number signs in, so it is unique across accounts (migration 1764000007500).
 */
@Entity({ name: "users" })
@Index("uq_users_tenant_email", ["tenantId", "email"], { unique: true })
@Index("uq_users_tenant_username", ["tenantId", "username"], { unique: true })
@Index("uq_users_verified_mobile", ["mobile"], {
  unique: true,
  where: `"mobile_verified" = true AND "mobile" <> ''`,
})
export class UserEntity {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id: string;

  /** Lower-cased; unique within the tenant. */
  @Column({ type: "varchar", length: 320 })
  email: string;

  @Column({ name: "email_verified", type: "boolean", default: false })
  emailVerified: boolean;

  /** Lower-cased; unique within the tenant when set. */
  @Column({ type: "varchar", length: 64, nullable: true })
  username: string | null;

  @Column({ name: "first_name", type: "varchar", length: 200, default: "" })
  firstName: string;

  @Column({ name: "last_name", type: "varchar", length: 200, default: "" })
  lastName: string;

  @Column({ type: "varchar", length: 20, default: "" })
  mobile: string;

  @Column({ name: "mobile_verified", type: "boolean", default: false })
  mobileVerified: boolean;

  @Column({ type: "varchar", length: 35, default: "" })
  language: string;

  @Column({ type: "varchar", length: 64, default: "" })
  timezone: string;

  @Column({ type: "text", transformer: json<Record<string, string>>({}) })
  settings: Record<string, string>;

  @Column({ type: "varchar", length: 16, default: "active" })
  status: UserStatus;

  /**
   * Every account belongs to one tenant; read back it is never null. Writing null stores the
   * `default` tenant, so code written before tenants (which creates accounts with no tenant) keeps
   * creating them where a deployment that never names a tenant expects them.
   */
  @Column({ name: "tenant_id", type: "varchar", length: 36, transformer: defaultTenant })
  tenantId: string | null;

  @Column({ type: "text", transformer: json<string[]>([]) })
  roles: string[];

  /** argon2id PHC string of the NFKC-normalised password. */
  @Column({ name: "password_hash", type: "text" })
  passwordHash: string;

  /** Consecutive failed sign-ins since the last success; reset by a success or a password reset. */
  @Column({ name: "failed_logins", type: "integer", default: 0 })
  failedLogins: number;

  @Column({ name: "locked_until", type: "bigint", nullable: true, transformer: millis })
  lockedUntil: number | null;

  @Column({ name: "created_at", type: "bigint", transformer: millis })
  createdAt: number;

  @Column({ name: "updated_at", type: "bigint", transformer: millis })
  updatedAt: number;
}
