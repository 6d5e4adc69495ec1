import type { EntityManager } from "typeorm";
import type { TenantRecord, TenantRepository } from "../../domain/tenants/records.js";
import { TenantEntity } from "../entities/tenant.js";
import { UserEntity } from "../entities/user.js";
import { findOneStrict, findStrict } from "../guard.js";

export function tenantRepository(em: EntityManager): TenantRepository {
  return {
    findById: (id) => findOneStrict(em, TenantEntity, { id }) as Promise<TenantRecord | null>,
    findBySlug: (slug) => findOneStrict(em, TenantEntity, { slug }) as Promise<TenantRecord | null>,
    insert: async (tenant) => {
      // ON CONFLICT DO NOTHING on both databases: a taken slug is an answer, not an error that
      // would abort a PostgreSQL transaction.
      await em.createQueryBuilder().insert().into(TenantEntity).values(tenant).orIgnore().execute();
      // The row is ours only if it carries our id: a taken slug left the other tenant's row.
      return (await findOneStrict(em, TenantEntity, { id: tenant.id })) !== null;
    },
    update: async (id, changes) => {
      if (!id) throw new Error("update needs a tenant id");
      await em.update(TenantEntity, { id }, changes);
    },
    list: async ({ limit, after }) => {
      const query = em
        .createQueryBuilder(TenantEntity, "t")
        .orderBy("t.created_at", "ASC")
        .addOrderBy("t.id", "ASC")
        .limit(limit);
      if (after) {
        query.where("(t.created_at > :createdAt OR (t.created_at = :createdAt AND t.id > :id))", after);
      }
      return (await query.getMany()) as TenantRecord[];
    },
    userIds: async (tenantId) => {
      const users = await findStrict(em, UserEntity, { tenantId });
      return users.map((u) => u.id);
    },
  };
}
