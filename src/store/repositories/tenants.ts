import type { EntityManager } from "typeorm";
import type { TenantRecord, TenantRepository } from "../../domain/tenants/records.js";
import { AuditEventEntity } from "../entities/audit-event.js";
import { TenantEntity } from "../entities/tenant.js";
import { UserEntity } from "../entities/user.js";
import { findOneStrict } from "../guard.js";
import { pageBy } from "../keyset.js";
import { holdsRole } from "./tenant-admins.js";

export function tenantRepository(em: EntityManager): TenantRepository {
  return {
    findById: (id) => findOneStrict(em, TenantEntity, { id }) as Promise<TenantRecord | null>,
    findByIdHeld: async (id) => {
      if (em.connection.options.type !== "postgres")
        return findOneStrict(em, TenantEntity, { id }) as Promise<TenantRecord | null>;
      // FOR SHARE, taken before any row of the account signing in: the lock order
      // (domain/tenants/records.ts).
      const found = await em
        .createQueryBuilder(TenantEntity, "t")
        .where("t.id = :id", { id })
        .setLock("pessimistic_read")
        .getOne();
      return found as TenantRecord | null;
    },
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
    activateIfPending: async (id, now) => {
      if (!id) throw new Error("activateIfPending needs a tenant id");
      const changed = await em
        .createQueryBuilder()
        .update(TenantEntity)
        .set({ status: "active", updatedAt: now })
        .where("id = :id AND status = 'pending'", { id })
        .execute();
      return changed.affected === 1;
    },
    pendingCreatedBefore: async (cutoff, limit) =>
      (await em
        .createQueryBuilder(TenantEntity, "t")
        .where("t.status = 'pending' AND t.created_at < :cutoff", { cutoff })
        .orderBy("t.created_at", "ASC")
        .addOrderBy("t.id", "ASC")
        .limit(limit)
        .getMany()) as TenantRecord[],
    deletePending: async (id) => {
      if (!id) throw new Error("deletePending needs a tenant id");
      const deleted = await em
        .createQueryBuilder()
        .delete()
        .from(TenantEntity)
        .where("id = :id AND status = 'pending'", { id })
        .execute();
      return deleted.affected === 1;
    },
    list: async (query) =>
      (await pageBy(em.createQueryBuilder(TenantEntity, "t"), "t", query).getMany()) as TenantRecord[],
    auditEvents: async (q) => {
      if (!q.tenantId) throw new Error("auditEvents needs a tenant id");
      // Events of accounts of the tenant only: the join is what keeps tenants apart.
      const query = em
        .createQueryBuilder(AuditEventEntity, "e")
        .innerJoin(UserEntity, "u", "u.id = e.user_id")
        .where("u.tenant_id = :tenantId", { tenantId: q.tenantId })
        .orderBy("e.at", "DESC")
        .addOrderBy("e.id", "DESC")
        .limit(q.page.limit);
      if (q.userId !== undefined) query.andWhere("e.user_id = :userId", { userId: q.userId });
      if (q.type !== undefined) query.andWhere("e.type = :type", { type: q.type });
      if (q.exceptHoldersOf !== undefined)
        query.andWhere("u.roles NOT LIKE :exceptRole ESCAPE '\\'", {
          exceptRole: holdsRole(q.exceptHoldersOf),
        });
      const { createdAfter, createdBefore, after } = q.page;
      if (createdAfter !== undefined) query.andWhere("e.at > :createdAfter", { createdAfter });
      if (createdBefore !== undefined) query.andWhere("e.at < :createdBefore", { createdBefore });
      // The same keyset as store/keyset.ts, on the event time; the id is a number here.
      if (after !== undefined) {
        query.andWhere("(e.at < :afterAt OR (e.at = :afterAt AND e.id < :afterId))", {
          afterAt: after.createdAt,
          afterId: Number(after.id),
        });
      }
      return query.getMany();
    },
  };
}
