// The tenant-scoped account lookup of `authd admin create` (src/domain/tenants/admin-bootstrap.ts),
// through the accounts' repository of the same transaction.
import type { FindAccountInTenant } from "../../domain/tenants/admin-bootstrap.js";

export const findAccountInTenant: FindAccountInTenant = (tx, tenantId, email) =>
  tx.accounts.findByEmailInTenant(tenantId, email);
