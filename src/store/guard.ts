// TypeORM 0.3 silently drops a `where` key whose value is undefined and then matches any row: a
// lookup by an unset token hash would return somebody's session. Every lookup by a caller-supplied
// value goes through these helpers, which refuse such a filter outright.
import type { EntityManager, EntityTarget, FindOptionsWhere, ObjectLiteral } from "typeorm";

export class UnsafeQueryError extends Error {
  constructor(key: string) {
    super(`refusing a lookup whose "${key}" is undefined: it would match any row`);
    this.name = "UnsafeQueryError";
  }
}

export function assertDefinedWhere(where: object, prefix = ""): void {
  const entries = Object.entries(where);
  if (entries.length === 0) throw new UnsafeQueryError(prefix || "(empty filter)");
  for (const [key, value] of entries) {
    if (value === undefined) throw new UnsafeQueryError(prefix + key);
    if (value !== null && typeof value === "object" && value.constructor === Object) {
      assertDefinedWhere(value, `${prefix}${key}.`);
    }
  }
}

export function findOneStrict<T extends ObjectLiteral>(
  em: EntityManager,
  entity: EntityTarget<T>,
  where: FindOptionsWhere<T>,
): Promise<T | null> {
  assertDefinedWhere(where);
  return em.findOneBy(entity, where);
}

export function findStrict<T extends ObjectLiteral>(
  em: EntityManager,
  entity: EntityTarget<T>,
  where: FindOptionsWhere<T>,
  order?: Record<string, "ASC" | "DESC">,
): Promise<T[]> {
  assertDefinedWhere(where);
  // biome-ignore lint/suspicious/noExplicitAny: TypeORM's order type is entity-specific
  return em.find(entity, { where, order: order as any });
}
