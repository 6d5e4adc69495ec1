// The accounts of one tenant, as its administrators manage them (src/domain/administration/).
import type { EntityManager } from "typeorm";
import type { AccountRecord } from "../../domain/accounts/persistence.js";
import type { TenantUserRepository } from "../../domain/tenants/records.js";
import { UserEntity } from "../entities/user.js";
import { pageBy } from "../keyset.js";

/** `value` as a LIKE pattern that matches it literally (with ESCAPE '\'). */
function likeLiteral(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Roles are a JSON array of strings in a text column: a role is held when the array's text holds
 * the role as a JSON string (quotes included, so "admin" never matches "superadmin").
 */
export function holdsRole(role: string): string {
  return `%${likeLiteral(JSON.stringify(role))}%`;
}

export function tenantUserRepository(em: EntityManager): TenantUserRepository {
  const need = (tenantId: string) => {
    if (!tenantId) throw new Error("a tenant's accounts need a tenant id");
  };
  return {
    page: async (tenantId, filter, query) => {
      need(tenantId);
      const qb = em.createQueryBuilder(UserEntity, "u").where("u.tenant_id = :tenantId", { tenantId });
      if (filter.emailPrefix !== undefined)
        qb.andWhere("u.email LIKE :prefix ESCAPE '\\'", { prefix: `${likeLiteral(filter.emailPrefix)}%` });
      if (filter.status !== undefined) qb.andWhere("u.status = :status", { status: filter.status });
      if (filter.role !== undefined)
        qb.andWhere("u.roles LIKE :role ESCAPE '\\'", { role: holdsRole(filter.role) });
      return (await pageBy(qb, "u", query).getMany()) as AccountRecord[];
    },
    lock: async (tenantId) => {
      need(tenantId);
      if (em.connection.options.type !== "postgres") return;
      // NO KEY UPDATE: admin changes of one tenant queue behind each other, while inserting an
      // account (whose foreign key takes KEY SHARE on the tenant) does not wait for them. Taken
      // before any row of the tenant's accounts: the lock order (domain/tenants/records.ts).
      await em.query(`SELECT "id" FROM "tenants" WHERE "id" = $1 FOR NO KEY UPDATE`, [tenantId]);
    },
    activeIdsWithRole: async (tenantId, role) => {
      need(tenantId);
      if (!role) throw new Error("activeIdsWithRole needs a role");
      const rows = await em
        .createQueryBuilder(UserEntity, "u")
        .select("u.id", "id")
        .where("u.tenant_id = :tenantId AND u.status = 'active'", { tenantId })
        .andWhere("u.roles LIKE :role ESCAPE '\\'", { role: holdsRole(role) })
        .getRawMany<{ id: string }>();
      return rows.map((r) => r.id);
    },
    activeAdministrators: async (tenantId, roles) => {
      need(tenantId);
      if (roles.length === 0) return [];
      const qb = em
        .createQueryBuilder(UserEntity, "u")
        .select("u.id", "id")
        .addSelect("u.email", "email")
        .where("u.tenant_id = :tenantId AND u.status = 'active'", { tenantId });
      const held = roles.map((_, i) => `u.roles LIKE :role${i} ESCAPE '\\'`).join(" OR ");
      qb.andWhere(`(${held})`, Object.fromEntries(roles.map((role, i) => [`role${i}`, holdsRole(role)])));
      return qb
        .orderBy("u.createdAt", "ASC")
        .addOrderBy("u.id", "ASC")
        .getRawMany<{ id: string; email: string }>();
    },
  };
}
