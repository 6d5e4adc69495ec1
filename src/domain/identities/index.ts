// The identities feature's face: provider sign-in (OpenID Connect) and the caller's linked
// identities, one method per RPC, each its own unit of work. Handlers import the feature only from
// here (with domain/errors.ts and domain/ports.ts' ClientInfo); the use cases live in sign-in.ts and
// linking.ts, each taking only the dependencies it uses. The purge of spent ID tokens is a scheduler
// job (replay.ts), not a use case: src/wiring/wire-identities.ts schedules it.
import type { ClientInfo } from "../ports.js";
import type { IdentityDeps } from "./deps.js";
import {
  getProviderTokens,
  type IdentityCaller,
  type LinkedIdentities,
  type LinkInput,
  linkIdentity,
  listLinkedIdentities,
  type StoredProviderTokens,
  unlinkIdentity,
} from "./linking.js";
import type { LinkedIdentityRecord } from "./persistence.js";
import { loginWithProvider, type ProviderLoginInput, type ProviderLoginResult } from "./sign-in.js";

export type { IdentityDeps } from "./deps.js";
export type { IdentityCaller, LinkedIdentities, LinkInput, StoredProviderTokens } from "./linking.js";
export type { LinkedIdentityRecord } from "./persistence.js";
export type { ProviderLoginInput, ProviderLoginResult } from "./sign-in.js";

export interface Identities {
  /**
   * LoginWithProvider: verifies an ID token of a configured provider (its keys, issuer, audience,
   * lifetime and nonce; each token signs in once) and signs in to the identity's account, to the
   * account with the same verified email (linking the identity), or to a new account without a
   * password. Answers like Login: tokens, or a challenge for the second factor. A token that fails
   * verification counts against the address like a failed Login. Errors: invalid_argument (a field;
   * an unknown tenant), unauthenticated (the ID token), failed_precondition (an email the provider
   * has not verified, IDENTITY_LINK_REQUIRED, ACCOUNT_DEACTIVATED, EMAIL_NOT_VERIFIED,
   * TENANT_SUSPENDED, a pending tenant), resource_exhausted (too many failures from the address),
   * unavailable (the provider's keys cannot be had).
   */
  loginWithProvider(input: ProviderLoginInput, client: ClientInfo): Promise<ProviderLoginResult>;

  /**
   * ListLinkedIdentities: the caller's identities (oldest first), whether the account has a
   * password, and the configured providers' names. Errors: not_found (the account is gone).
   */
  listLinkedIdentities(userId: string): Promise<LinkedIdentities>;

  /**
   * LinkIdentity: links the identity an ID token at most 10 minutes old proves to the caller's
   * account, after re-authentication (reauthentication.ts); the owner is told by email. An identity
   * already linked to the caller is refreshed (email, tokens). Errors: those of the ID token (as
   * loginWithProvider's) and of re-authentication, already_exists (linked to another account).
   */
  linkIdentity(caller: IdentityCaller, input: LinkInput, client: ClientInfo): Promise<LinkedIdentityRecord>;

  /**
   * UnlinkIdentity: removes one of the caller's identities after re-authentication; the owner is
   * told by email. Errors: invalid_argument or not_found (the id; both before the password),
   * failed_precondition LAST_SIGN_IN_METHOD (the account's only way in), those of re-authentication.
   */
  unlinkIdentity(
    caller: IdentityCaller,
    identityId: string,
    currentPassword: string,
    client: ClientInfo,
  ): Promise<void>;

  /**
   * GetProviderTokens: the provider tokens stored for one of the caller's identities (empty when
   * none were given), after re-authentication. Errors: invalid_argument or not_found (the id; both
   * before the password), those of re-authentication.
   */
  getProviderTokens(
    caller: IdentityCaller,
    identityId: string,
    currentPassword: string,
  ): Promise<StoredProviderTokens>;
}

export function createIdentities(deps: IdentityDeps): Identities {
  return {
    loginWithProvider: (input, client) => loginWithProvider(deps, input, client),
    listLinkedIdentities: (userId) => listLinkedIdentities(deps, userId),
    linkIdentity: (caller, input, client) => linkIdentity(deps, caller, input, client),
    unlinkIdentity: (caller, identityId, currentPassword, client) =>
      unlinkIdentity(deps, caller, identityId, currentPassword, client),
    getProviderTokens: (caller, identityId, currentPassword) =>
      getProviderTokens(deps, caller, identityId, currentPassword),
  };
}
