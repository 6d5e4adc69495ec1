import { Column, Entity, PrimaryColumn } from "typeorm";
import { millis } from "../columns.js";

/** A key that signs access tokens. The private JWK is stored encrypted (AES-256-GCM). */
@Entity({ name: "signing_keys" })
export class SigningKeyEntity {
  /** The JWK `kid`. */
  @PrimaryColumn({ type: "varchar", length: 64 })
  kid: string;

  @Column({ type: "varchar", length: 16 })
  algorithm: string;

  /** Public JWK as JSON. */
  @Column({ name: "public_jwk", type: "text" })
  publicJwk: string;

  /** `v1.<iv>.<ciphertext>.<tag>`, base64url, under a key derived from AUTHD_SECRET. */
  @Column({ name: "private_jwk_encrypted", type: "text" })
  privateJwkEncrypted: string;

  @Column({ name: "created_at", type: "bigint", transformer: millis })
  createdAt: number;

  /** When a newer key replaced it; its public part is served until its tokens have expired. */
  @Column({ name: "retired_at", type: "bigint", nullable: true, transformer: millis })
  retiredAt: number | null;
}
