// The tenant-scoped account lookup of `authd admin create` (src/domain/tenants/admin-bootstrap.ts).
import type { FindAccountInTenant } from "../../domain/tenants/admin-bootstrap.js";
import { UserEntity } from "../entities/user.js";
import { findOneStrict } from "../guard.js";
import { emOf } from "../unit-of-work.js";

export const findAccountInTenant: FindAccountInTenant = (tx, tenantId, email) =>
  findOneStrict(emOf(tx), UserEntity, { tenantId, email });
