// Tenants' messages: the domain's tenant records to proto, and the tenant requests to the Tenants
// face's inputs (AdminService's tenant RPCs; AuthService's RegisterCompany answers a Tenant too).
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { GetTenantRequest } from "../../../gen/authd/v1/admin_pb.js";
import { type TenantSchema, TenantStatus } from "../../../gen/authd/v1/common_pb.js";
import type { TenantKey, TenantRecord } from "../../domain/tenants/index.js";

const TENANT_STATUSES: Record<TenantRecord["status"], TenantStatus> = {
  active: TenantStatus.ACTIVE,
  suspended: TenantStatus.SUSPENDED,
  pending: TenantStatus.PENDING,
};

export function toTenantMessage(tenant: TenantRecord): MessageInitShape<typeof TenantSchema> {
  return {
    id: tenant.id,
    slug: tenant.slug,
    name: tenant.name,
    status: TENANT_STATUSES[tenant.status],
    createTime: timestampFromMs(tenant.createdAt),
    updateTime: timestampFromMs(tenant.updatedAt),
  };
}

/** GetTenant's `tenant` oneof; unset reads as an empty id, which the domain refuses by name. */
export function fromGetTenantRequest(req: GetTenantRequest): TenantKey {
  const which = req.tenant;
  return which.case === "slug" ? { slug: which.value } : { id: which.case === "tenantId" ? which.value : "" };
}

/** TENANT_STATUS_UNSPECIFIED: no change. PENDING is passed on for the domain to refuse by name. */
export function fromTenantStatus(status: TenantStatus): TenantRecord["status"] | undefined {
  if (status === TenantStatus.ACTIVE) return "active";
  if (status === TenantStatus.SUSPENDED) return "suspended";
  if (status === TenantStatus.PENDING) return "pending";
  return undefined;
}
