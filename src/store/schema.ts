// Every entity and migration, in one place. A new table adds its entity here and a migration class
// with a later timestamp; migrations are never edited once landed.
import { ApiKeyEntity } from "./entities/api-key.js";
import { AuditEventEntity } from "./entities/audit-event.js";
import { DeferredWorkEntity } from "./entities/deferred-work.js";
import { LinkedIdentityEntity } from "./entities/linked-identity.js";
import { mfaEntities } from "./entities/mfa.js";
import { OneTimeTokenEntity } from "./entities/one-time-token.js";
import { OutboxMessageEntity } from "./entities/outbox-message.js";
import { RateLimitEntity } from "./entities/rate-limit.js";
import { RefreshTokenEntity } from "./entities/refresh-token.js";
import { SessionEntity } from "./entities/session.js";
import { SigningKeyEntity } from "./entities/signing-key.js";
import { SpentIdTokenEntity } from "./entities/spent-id-token.js";
import { TenantEntity } from "./entities/tenant.js";
import { UserEntity } from "./entities/user.js";
import { Initial1764000000000 } from "./migrations/1764000000000-initial.js";
import { Sessions1764000001000 } from "./migrations/1764000001000-sessions.js";
import { Delivery1764000002000 } from "./migrations/1764000002000-delivery.js";
import { Mfa1764000003000 } from "./migrations/1764000003000-mfa.js";
import { MfaRecoveryCodeHash1764000003001 } from "./migrations/1764000003001-mfa-recovery-code-hash.js";
import { Accounts1764000004000 } from "./migrations/1764000004000-accounts.js";
import { AccountForeignKeys1764000005300 } from "./migrations/1764000005300-account-foreign-keys.js";
import { DeferredWork1764000005400 } from "./migrations/1764000005400-deferred-work.js";
import { LinkedIdentities1764000006000 } from "./migrations/1764000006000-linked-identities.js";
import { Tenants1764000007000 } from "./migrations/1764000007000-tenants.js";
import { VerifiedMobileUnique1764000007500 } from "./migrations/1764000007500-verified-mobile-unique.js";
import { Profile1764000008000 } from "./migrations/1764000008000-profile.js";
import { IdentitiesPerTenant1764000008100 } from "./migrations/1764000008100-identities-per-tenant.js";
import { VerifiedMobilePerTenant1764000008200 } from "./migrations/1764000008200-verified-mobile-per-tenant.js";
import { PasswordChangeRequired1764000008600 } from "./migrations/1764000008600-password-change-required.js";
import { SpentIdTokens1764000009400 } from "./migrations/1764000009400-spent-id-tokens.js";

export const entities = [
  UserEntity,
  AuditEventEntity,
  SigningKeyEntity,
  SessionEntity,
  RefreshTokenEntity,
  ApiKeyEntity,
  OneTimeTokenEntity,
  OutboxMessageEntity,
  RateLimitEntity,
  DeferredWorkEntity,
  ...mfaEntities,
  LinkedIdentityEntity,
  TenantEntity,
  SpentIdTokenEntity,
];

export const migrations = [
  Initial1764000000000,
  Sessions1764000001000,
  Accounts1764000004000,
  Delivery1764000002000,
  Mfa1764000003000,
  MfaRecoveryCodeHash1764000003001,
  AccountForeignKeys1764000005300,
  DeferredWork1764000005400,
  LinkedIdentities1764000006000,
  Tenants1764000007000,
  VerifiedMobileUnique1764000007500,
  Profile1764000008000,
  IdentitiesPerTenant1764000008100,
  VerifiedMobilePerTenant1764000008200,
  PasswordChangeRequired1764000008600,
  SpentIdTokens1764000009400,
];
