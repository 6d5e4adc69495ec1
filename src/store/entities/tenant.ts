import { Column, Entity, PrimaryColumn } from "typeorm";
import { millis } from "../columns.js";

export type TenantStatus = "active" | "suspended" | "pending";

@Entity({ name: "tenants" })
export class TenantEntity {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id: string;

  /** Public handle; unique. */
  @Column({ type: "varchar", length: 63, unique: true })
  slug: string;

  @Column({ type: "varchar", length: 100 })
  name: string;

  @Column({ type: "varchar", length: 16, default: "active" })
  status: TenantStatus;

  @Column({ name: "created_at", type: "bigint", transformer: millis })
  createdAt: number;

  @Column({ name: "updated_at", type: "bigint", transformer: millis })
  updatedAt: number;
}
