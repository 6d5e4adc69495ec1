// Column helpers shared by every entity. Times are stored as milliseconds since the epoch in a
// BIGINT: the same on SQLite and PostgreSQL, no time-zone conversions, and directly comparable with
// Clock.now().
import type { ValueTransformer } from "typeorm";

/** pg returns BIGINT as a string; SQLite as a number. Both become a number here. */
export const millis: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null || value === undefined ? null : Number(value)),
};

/** A JSON document kept in a TEXT column, or NULL for null. */
export function nullableJson<T>(): ValueTransformer {
  return {
    to: (value: T | null | undefined) =>
      value === null || value === undefined ? value : JSON.stringify(value),
    from: (value: string | null) => (value === null ? null : (JSON.parse(value) as T)),
  };
}

/** A JSON document kept in a TEXT column (portable across SQLite and PostgreSQL). */
export function json<T>(fallback: T): ValueTransformer {
  return {
    to: (value: T | undefined) => JSON.stringify(value ?? fallback),
    from: (value: string | null) => (value === null ? fallback : (JSON.parse(value) as T)),
  };
}
