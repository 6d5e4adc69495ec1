import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import type { PostalAddress } from "../../domain/accounts/profile-fields.js";
import { json, millis, nullableJson } from "../columns.js";

export type UserStatus = "active" | "deactivated";

/**
 * Email and username are unique per tenant (a NULL username never collides). A verified mobile
 * number signs in, so it is unique among the tenant's verified numbers (migration 1764000008200).
 */
@Entity({ name: "users" })
@Index("uq_users_tenant_email", ["tenantId", "email"], { unique: true })
@Index("uq_users_tenant_username", ["tenantId", "username"], { unique: true })
@Index("uq_users_tenant_verified_mobile", ["tenantId", "mobile"], {
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

  /** Every account belongs to one tenant, named when it is created. */
  @Column({ name: "tenant_id", type: "varchar", length: 36 })
  tenantId: string;

  @Column({ type: "text", transformer: json<string[]>([]) })
  roles: string[];

  /** argon2id PHC string of the NFKC-normalised password. */
  @Column({ name: "password_hash", type: "text" })
  passwordHash: string;

  /** The password was set by an administrator: it cannot sign in until the owner replaces it. */
  @Column({ name: "password_change_required", type: "boolean", default: false })
  passwordChangeRequired: boolean;

  /** Consecutive failed sign-ins since the last success; reset by a success or a password reset. */
  @Column({ name: "failed_logins", type: "integer", default: 0 })
  failedLogins: number;

  @Column({ name: "locked_until", type: "bigint", nullable: true, transformer: millis })
  lockedUntil: number | null;

  @Column({ name: "created_at", type: "bigint", transformer: millis })
  createdAt: number;

  @Column({ name: "updated_at", type: "bigint", transformer: millis })
  updatedAt: number;

  // ---- optional profile fields (migration 1764000008000; rules in domain/accounts/profile-fields.ts) ----

  /** YYYY-MM-DD; "" when not set. */
  @Column({ name: "birth_date", type: "varchar", length: 10, default: "" })
  birthDate: string;

  @Column({ type: "varchar", length: 32, default: "" })
  gender: string;

  @Column({ type: "varchar", length: 32, default: "" })
  title: string;

  @Column({ name: "marital_status", type: "varchar", length: 32, default: "" })
  maritalStatus: string;

  /** ISO 3166-1 alpha-2. */
  @Column({ type: "varchar", length: 2, default: "" })
  nationality: string;

  /** ISO 3166-1 alpha-2. */
  @Column({ type: "varchar", length: 2, default: "" })
  residency: string;

  @Column({ name: "id_number", type: "varchar", length: 64, default: "" })
  idNumber: string;

  @Column({ type: "varchar", length: 200, default: "" })
  department: string;

  @Column({ name: "job_title", type: "varchar", length: 200, default: "" })
  jobTitle: string;

  @Column({
    name: "postal_address",
    type: "text",
    nullable: true,
    transformer: nullableJson<PostalAddress>(),
  })
  postalAddress: PostalAddress | null;

  @Column({ name: "avatar_url", type: "varchar", length: 2048, default: "" })
  avatarUrl: string;

  @Column({ name: "external_customer_id", type: "varchar", length: 128, default: "" })
  externalCustomerId: string;

  @Column({ name: "last_sign_in_at", type: "bigint", nullable: true, transformer: millis })
  lastSignInAt: number | null;

  @Column({ name: "accepted_terms_version", type: "varchar", length: 64, default: "" })
  acceptedTermsVersion: string;

  @Column({ name: "terms_accepted_at", type: "bigint", nullable: true, transformer: millis })
  termsAcceptedAt: number | null;

  @Column({ name: "accepted_privacy_version", type: "varchar", length: 64, default: "" })
  acceptedPrivacyVersion: string;

  @Column({ name: "privacy_accepted_at", type: "bigint", nullable: true, transformer: millis })
  privacyAcceptedAt: number | null;
}
