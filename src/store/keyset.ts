// The SQL half of src/domain/paging.ts: newest first by (created_at, id), resuming strictly after a
// position, within the creation-time filters. Every list that pages uses it, so the order and the
// resume condition are written once.
import { Brackets, type ObjectLiteral, type SelectQueryBuilder } from "typeorm";
import type { KeysetQuery } from "../domain/paging.js";

/** Adds the filters, the resume condition, the order and the limit of `query` to `qb`. */
export function pageBy<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  alias: string,
  query: KeysetQuery,
): SelectQueryBuilder<T> {
  if (query.createdAfter !== undefined)
    qb.andWhere(`${alias}.created_at > :createdAfter`, { createdAfter: query.createdAfter });
  if (query.createdBefore !== undefined)
    qb.andWhere(`${alias}.created_at < :createdBefore`, { createdBefore: query.createdBefore });
  const after = query.after;
  if (after !== undefined) {
    qb.andWhere(
      new Brackets((w) => {
        w.where(`${alias}.created_at < :afterCreatedAt`, { afterCreatedAt: after.createdAt }).orWhere(
          `(${alias}.created_at = :afterCreatedAt AND ${alias}.id < :afterId)`,
          { afterId: after.id },
        );
      }),
    );
  }
  return qb.orderBy(`${alias}.created_at`, "DESC").addOrderBy(`${alias}.id`, "DESC").limit(query.limit);
}
