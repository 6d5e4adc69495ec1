import { issueSignIn, type LoginResult } from "../accounts/login.js";
import { newAccount } from "../accounts/new-account.js";
import type { AccountRecord } from "../accounts/persistence.js";
import { findUserByEmail, getUserOrThrow, isUniqueViolation } from "../accounts/users.js";
import { normalizeEmail } from "../accounts/validation.js";
import {
  accountDeactivated,
  emailNotVerified,
  failedPrecondition,
  invalidArgument,
  resourceExhausted,
  withReason,
} from "../errors.js";
import { NO_PASSWORD } from "../passwords.js";
import type { IdentityRepositories } from "../persistence.js";
import type { ClientInfo, LoginOptions } from "../ports.js";
import { holdTenantFirst, tenantPending, tenantSuspended } from "../tenants/gate.js";
import { tenantNamed } from "../tenants/scope.js";
import { commit, type Transaction } from "../unit-of-work.js";
import type { IdentityDeps } from "./deps.js";
import type { VerifiedIdentity } from "./id-token.js";
import { checkProviderTokens, type ProviderTokens } from "./provider-tokens.js";
import { insertIdentity, touchIdentity } from "./records.js";
import { spendIdToken } from "./replay.js";

/** The method reference a provider sign-in puts in the session's amr (federated). */
export const PROVIDER_AMR = "fed";
/** An ID token presented for sign-in must be younger than this (its exp usually ends it sooner). */
const SIGN_IN_MAX_AGE_SECONDS = 24 * 3600;

export interface ProviderLoginInput {
  provider: string;
  idToken: string;
  accessToken: string;
  refreshToken: string;
  nonce: string;
  deviceToken: string;
  options: LoginOptions;
  /** The tenant's slug; empty means the default tenant. */
  tenant: string;
}

const ipKey = (key: string) => `provider-login-failures:ip:${key}`;

/** A provider sign-in answers as Login does. */
export type ProviderLoginResult = LoginResult;

type SignInDeps = Pick<
  IdentityDeps,
  "uow" | "clock" | "providers" | "box" | "notices" | "signIn" | "rateLimiter" | "limits"
>;

export async function loginWithProvider(
  deps: SignInDeps,
  input: ProviderLoginInput,
  client: ClientInfo,
): Promise<ProviderLoginResult> {
  const duration = input.options.durationSeconds;
  if (duration !== undefined && duration <= 0) throw invalidArgument("session_duration", "must be positive");
  const tokens = checkProviderTokens(input.accessToken, input.refreshToken);
  deps.providers.checkRequest(input.provider, input.idToken, input.nonce);
  // Slugs are public, and this RPC makes accounts: an unknown tenant is said to be one. A suspended
  // tenant's sign-ins are refused before anything is counted or any second factor challenged, and so
  // are a pending one's (RegisterCompany's, until its first admin verifies: nobody joins it).
  const tenant = await deps.uow.read((reads) => tenantNamed(reads, input.tenant));
  if (!tenant) throw invalidArgument("tenant", "no such tenant");
  if (tenant.status === "suspended") throw tenantSuspended();
  if (tenant.status === "pending") throw tenantPending();
  // Counted before the token is verified and given back on success, like Login's failures.
  const ip = await deps.rateLimiter.reserve(
    ipKey(client.rateLimitKey),
    deps.limits.loginMaxFailuresPerIp,
    deps.limits.rateLimitWindowSeconds,
  );
  if (!ip.allowed)
    throw resourceExhausted("too many failed sign-ins from this address", ip.retryAfterSeconds);
  const identity = await deps.providers.verify(
    input.provider,
    input.idToken,
    input.nonce,
    SIGN_IN_MAX_AGE_SECONDS,
  );
  await deps.rateLimiter.refund(ip);

  // Two first sign-ins of one identity (or one email) at once: the loser of the UNIQUE race tries
  // again and finds what the winner made.
  for (let attempt = 1; ; attempt++) {
    try {
      // Every refusal is thrown inside: nothing of a refused sign-in is kept.
      return await deps.uow.run(async (tx) => {
        // The tenant before any row of the account (the lock order of TenantUserRepository.lock).
        await holdTenantFirst(tx, tenant.id);
        await spendIdToken(tx, identity);
        const user = await accountFor(deps, tx, tenant.id, input.provider, identity, tokens, client);
        if (user.status !== "active") throw accountDeactivated();
        if (!user.emailVerified) {
          throw emailNotVerified();
        }
        return commit(
          await issueSignIn(
            tx,
            deps.signIn,
            user.id,
            [PROVIDER_AMR],
            input.deviceToken,
            input.options,
            client,
            {
              provider: input.provider,
            },
          ),
        );
      });
    } catch (error) {
      if (attempt >= 2 || !isUniqueViolation(error)) throw error;
    }
  }
}

/** The account the identity signs in to: its own, the one it links to, or a new one. */
async function accountFor(
  deps: Pick<IdentityDeps, "clock" | "box" | "notices">,
  tx: Transaction<IdentityRepositories>,
  tenantId: string,
  provider: string,
  identity: VerifiedIdentity,
  tokens: ProviderTokens | null,
  client: ClientInfo,
): Promise<AccountRecord> {
  const now = deps.clock.now();
  const known = await tx.identities.findBySubject(tenantId, provider, identity.subject);
  if (known) {
    await touchIdentity(tx, deps.box, known, identity, tokens, now);
    return getUserOrThrow(tx, known.userId);
  }
  // The same answer whether or not an account has this email: an unverified claim tells nothing.
  if (!identity.emailVerified) {
    throw failedPrecondition(
      "the provider has not verified this identity's email address: sign in with your password and link the identity (LinkIdentity), or verify the address with the provider",
    );
  }
  let email: string;
  try {
    email = normalizeEmail(identity.email);
  } catch {
    throw failedPrecondition("the provider's email address for this identity is not one authd accepts");
  }
  const existing = await findUserByEmail(tx, tenantId, email);
  if (existing && !existing.emailVerified) {
    throw withReason(
      "IDENTITY_LINK_REQUIRED",
      failedPrecondition(
        "an account with this email address exists but its address is not verified: sign in with your password and link the identity (LinkIdentity)",
      ),
    );
  }
  const user = existing ?? (await createAccount(tx, tenantId, email, now));
  await insertIdentity(tx, deps.box, user, provider, identity, tokens, now);
  await tx.audit.record(now, "identity.linked", user.id, client, {
    provider,
    by: existing ? "verified_email" : "new_account",
  });
  if (existing) {
    await deps.notices.send(tx, { kind: "identity_changed", to: existing.email, change: "linked", provider });
  } else await tx.audit.record(now, "user.registered", user.id, client, { provider });
  return user;
}

/** A new account: the provider verified the email; there is no password until a reset sets one. */
async function createAccount(
  tx: Transaction<IdentityRepositories>,
  tenantId: string,
  email: string,
  now: number,
): Promise<AccountRecord> {
  const user = newAccount(now, { tenantId, email, emailVerified: true, passwordHash: NO_PASSWORD });

  await tx.accounts.insert(user);
  return user;
}
