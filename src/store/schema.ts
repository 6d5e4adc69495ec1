// Every entity and migration, in one place. A new table adds its entity here and a migration class
// with a later timestamp; migrations are never edited once landed.
import { AuditEventEntity } from "./entities/audit-event.js";
import { UserEntity } from "./entities/user.js";
import { Initial1764000000000 } from "./migrations/1764000000000-initial.js";

export const entities = [UserEntity, AuditEventEntity];

export const migrations = [Initial1764000000000];
