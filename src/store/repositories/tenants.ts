import type { EntityManager } from "typeorm";
import type { TenantRecord, TenantRepository } from "../../domain/tenants/records.js";
import { AuditEventEntity } from "../entities/audit-event.js";
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
    auditEvents: async (q) => {
      if (!q.tenantId) throw new Error("auditEvents needs a tenant id");
      // Events of accounts of the tenant only: the join is what keeps tenants apart.
      const query = em
        .createQueryBuilder(AuditEventEntity, "e")
        .innerJoin(UserEntity, "u", "u.id = e.user_id")
        .where("u.tenant_id = :tenantId", { tenantId: q.tenantId })
        .orderBy("e.id", "DESC")
        .limit(q.limit);
      if (q.beforeId !== undefined) query.andWhere("e.id < :beforeId", { beforeId: q.beforeId });
      if (q.userId !== undefined) query.andWhere("e.user_id = :userId", { userId: q.userId });
      if (q.type !== undefined) query.andWhere("e.type = :type", { type: q.type });
      if (q.from !== undefined) query.andWhere("e.at >= :from", { from: q.from });
      if (q.to !== undefined) query.andWhere("e.at < :to", { to: q.to });
      return query.getMany();
    },
  };
}
