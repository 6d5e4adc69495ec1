import { Column, Entity, PrimaryColumn } from "typeorm";
import { millis } from "../columns.js";

/** One fixed-window counter per key, shared by every replica (see domain/rate-limiter.ts). */
@Entity({ name: "rate_limits" })
export class RateLimitEntity {
  @PrimaryColumn({ type: "varchar", length: 255 })
  key: string;

  /** Start of the current window, epoch milliseconds. */
  @Column({ name: "window_start", type: "bigint", transformer: millis })
  windowStart: number;

  @Column({ type: "integer" })
  count: number;

  /** End of the current window; rows past it are deleted by the cleanup. */
  @Column({ name: "expires_at", type: "bigint", transformer: millis })
  expiresAt: number;
}
