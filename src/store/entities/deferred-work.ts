import { Column, Entity, PrimaryColumn } from "typeorm";
import { millis } from "../columns.js";

/**
 * Work a public RPC answered for but does after the reply (domain/after-reply.ts). Written before the
 * answer, so a crash right after answering loses nothing; deleted in the transaction that does the work.
 */
@Entity({ name: "deferred_work" })
export class DeferredWorkEntity {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id: string;

  @Column({ type: "varchar", length: 32 })
  kind: string;

  /** The request, as JSON (addresses, a password hash: nothing a client could not already hold). */
  @Column({ type: "text" })
  payload: string;

  @Column({ name: "created_at", type: "bigint", transformer: millis })
  createdAt: number;
}
