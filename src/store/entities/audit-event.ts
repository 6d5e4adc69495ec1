import { Column, Entity, PrimaryGeneratedColumn } from "typeorm";
import { json, millis } from "../columns.js";

@Entity({ name: "audit_events" })
export class AuditEventEntity {
  @PrimaryGeneratedColumn({ type: "integer" })
  id: number;

  @Column({ type: "bigint", transformer: millis })
  at: number;

  /** For example "login.succeeded", "password.reset". */
  @Column({ type: "varchar", length: 64 })
  type: string;

  @Column({ name: "user_id", type: "varchar", length: 36, nullable: true })
  userId: string | null;

  @Column({ type: "varchar", length: 64, default: "" })
  ip: string;

  @Column({ name: "user_agent", type: "varchar", length: 512, default: "" })
  userAgent: string;

  /** Non-secret details (never a password, token or code). */
  @Column({ type: "text", transformer: json<Record<string, unknown>>({}) })
  detail: Record<string, unknown>;
}
