// The one place a new account record is made: registration, RegisterCompany, provider sign-in, a
// tenant admin's CreateUser and `authd admin create` all start from the same defaults, so a field
// added to accounts gets its starting value here once.
import { randomUUID } from "node:crypto";
import type { AccountRecord } from "./persistence.js";
import { NO_PROFILE_FIELDS, NO_PROFILE_RECORDS } from "./profile-fields.js";

/** What each caller decides; everything else starts empty, active and unlocked. */
export type NewAccountFields = Pick<AccountRecord, "tenantId" | "email" | "emailVerified" | "passwordHash"> &
  Partial<Omit<AccountRecord, "createdAt" | "updatedAt">>;

export function newAccount(now: number, fields: NewAccountFields): AccountRecord {
  return {
    id: randomUUID(),
    username: null,
    firstName: "",
    lastName: "",
    mobile: "",
    mobileVerified: false,
    language: "",
    timezone: "",
    settings: {},
    status: "active",
    roles: [],
    ...NO_PROFILE_FIELDS,
    ...NO_PROFILE_RECORDS,
    failedLogins: 0,
    lockedUntil: null,
    ...fields,
    createdAt: now,
    updatedAt: now,
  };
}
