// The SQL half of src/domain/paging.ts: newest (or oldest) first by (created_at, id), resuming strictly after a
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
  const [beyond, direction] = query.order === "oldest" ? [">", "ASC" as const] : ["<", "DESC" as const];
  const after = query.after;
  if (after !== undefined) {
    qb.andWhere(
      new Brackets((w) => {
        w.where(`${alias}.created_at ${beyond} :afterCreatedAt`, { afterCreatedAt: after.createdAt }).orWhere(
          `(${alias}.created_at = :afterCreatedAt AND ${alias}.id ${beyond} :afterId)`,
          { afterId: after.id },
        );
      }),
    );
  }
  return qb.orderBy(`${alias}.created_at`, direction).addOrderBy(`${alias}.id`, direction).limit(query.limit);
}
