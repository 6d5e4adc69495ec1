import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { millis } from "../columns.js";

/**
 * An account's identity at an OpenID Connect provider. The pair (provider, subject) is the
 * identity, unique within the tenant of the account it belongs to; the email is only what the
 * provider last asserted, for display.
 */
@Entity({ name: "linked_identities" })
@Index("uq_linked_identities_tenant_provider_subject", ["tenantId", "provider", "subject"], { unique: true })
export class LinkedIdentityEntity {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id: string;

  @Index("idx_linked_identities_user")
  @Column({ name: "user_id", type: "varchar", length: 36 })
  userId: string;

  /** The account's tenant (accounts never change tenant). */
  @Column({ name: "tenant_id", type: "varchar", length: 36 })
  tenantId: string;

  /** The configured provider's name (AUTHD_OIDC_PROVIDERS). */
  @Column({ type: "varchar", length: 64 })
  provider: string;

  /** The ID token's `sub`: at most 255 ASCII characters (OpenID Connect Core 2). */
  @Column({ type: "varchar", length: 255 })
  subject: string;

  @Column({ type: "varchar", length: 320, default: "" })
  email: string;

  /** The provider's access and refresh tokens, sealed (SecretBox) with the row id as associated data. */
  @Column({ name: "tokens_sealed", type: "text", nullable: true })
  tokensSealed: string | null;

  @Column({ name: "tokens_updated_at", type: "bigint", nullable: true, transformer: millis })
  tokensUpdatedAt: number | null;

  @Column({ name: "created_at", type: "bigint", transformer: millis })
  createdAt: number;

  @Column({ name: "last_sign_in_at", type: "bigint", transformer: millis })
  lastSignInAt: number;
}
