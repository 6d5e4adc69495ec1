// Sign-in with an identifier and a password. An unknown identifier, a wrong password and a locked
// account all give the same answer in about the same time: a dummy argon2 verification stands in
// for the missing account, and for a locked one (which verifies nothing, or the lock would be an
// oracle). Attempts are counted before they are verified (login-attempt.ts).

import {
  accountDeactivated,
  DomainError,
  emailNotVerified,
  invalidArgument,
  passwordChangeRequired,
  resourceExhausted,
} from "../errors.js";
import type { HashRunner } from "../hash-queue.js";
import type { PasswordHasher } from "../passwords.js";
import type { MfaRepositories } from "../persistence.js";
import type { ClientInfo, LoginChallenge, LoginOptions } from "../ports.js";
import type { IssuedTokens } from "../sessions/index.js";
import { holdTenantFirst, tenantPending, tenantSuspended } from "../tenants/gate.js";
import { tenantNamed } from "../tenants/scope.js";
import { commit, commitThenFail, type Outcome, type Transaction } from "../unit-of-work.js";
import type { Uses } from "./deps.js";
import { claimSuccess, failAttempt, type LoginAttempt, startAttempt } from "./login-attempt.js";

export interface LoginInput {
  identifier: string;
  password: string;
  deviceToken: string;
  options: LoginOptions;
  /** The tenant's slug; empty means the default tenant. */
  tenant: string;
}

export type LoginResult =
  | { kind: "tokens"; userId: string; tokens: IssuedTokens }
  | { kind: "challenge"; userId: string; challenge: LoginChallenge };

/** Thrown inside the signing-in transaction (rolling it back) when a reset changed the password meanwhile. */
class PasswordChanged extends Error {}

/** What Login uses: the attempt's counts and lockout, the hash, and the end of every sign-in. */
type LoginDeps = Uses<
  "uow" | "hasher" | "rateLimiter" | "clock" | "mail" | "secondFactor" | "sessions",
  | "requireEmailVerification"
  | "loginMaxFailuresPerIp"
  | "loginMaxFailuresPerAccount"
  | "lockoutSeconds"
  | "rateLimitWindowSeconds"
>;

export async function login(deps: LoginDeps, input: LoginInput, client: ClientInfo): Promise<LoginResult> {
  if (input.identifier.trim() === "") throw invalidArgument("identifier", "is required");
  if (input.password === "") throw invalidArgument("password", "is required");
  const duration = input.options.durationSeconds;
  if (duration !== undefined && duration <= 0) throw invalidArgument("session_duration", "must be positive");

  // An unknown tenant has no accounts: its sign-ins fail like an unknown identifier's. A suspended
  // tenant's are refused before anything is counted or verified: its users cannot sign in whatever
  // the password, so counting would only lock them out for when the tenant is back, and a second
  // factor must not be challenged for a sign-in that cannot end in a session.
  const tenant = await deps.uow.read((reads) => tenantNamed(reads, input.tenant));
  if (tenant?.status === "suspended") throw tenantSuspended();
  // A place in the hashing queue first: a busy server answers Unavailable before the attempt is
  // counted, never after (a counted attempt it then refused would count against its owner).
  const admission = deps.hasher.admit();
  let attempt: LoginAttempt;
  let passwordOk: boolean;
  try {
    attempt = await startAttempt(deps, tenant?.id ?? null, input.identifier, client);
    if (!attempt.ip.allowed) {
      throw resourceExhausted("too many failed sign-ins from this address", attempt.ip.retryAfterSeconds);
    }
    passwordOk = await checkPassword(deps.hasher, admission, attempt, input.password);
  } finally {
    admission.release();
  }
  const user = attempt.user;
  if (!user || !passwordOk) return failAttempt(deps, attempt, client, "wrong_password");

  // The password is right: from here on the answer may say what stands in the way. A pending
  // tenant (RegisterCompany's, pending.ts) opens to nobody until its first admin has verified their
  // address, whatever AUTHD_REQUIRE_EMAIL_VERIFICATION says: the verification is what makes it real.
  const pending = tenant?.status === "pending";
  const mayProceed = !pending && (user.emailVerified || !deps.config.requireEmailVerification);
  // A busy hashing queue skips the upgrade (the next sign-in makes it) rather than failing a sign-in
  // whose password was right and whose attempt is still counted.
  const upgradedHash =
    user.status === "active" && mayProceed && deps.hasher.needsRehash(user.passwordHash)
      ? await deps.hasher.hash(input.password).catch((error: unknown) => {
          if (error instanceof DomainError && error.kind === "unavailable") return null;
          throw error;
        })
      : null;
  try {
    // The counts given back commit even when the account cannot sign in: the password was right.
    return await deps.uow.run(async (tx): Promise<Outcome<LoginResult>> => {
      // The tenant first, then the account's row (the lock order of TenantUserRepository.lock): an
      // administrator's change of this account holds the tenant and then writes the account.
      await holdTenantFirst(tx, user.tenantId);
      const account = await claimSuccess(tx, deps, attempt, user.passwordHash, upgradedHash);
      if (!account) throw new PasswordChanged();
      if (account.status !== "active") return commitThenFail(accountDeactivated());
      // An administrator's password proves nothing the owner chose: it opens no session at all
      // (rather than one limited to ChangePassword); the owner sets their own by the reset link.
      if (user.passwordChangeRequired) return commitThenFail(passwordChangeRequired());
      if (!account.emailVerified && (deps.config.requireEmailVerification || pending)) {
        return commitThenFail(emailNotVerified());
      }
      if (pending) return commitThenFail(tenantPending());
      return commit(await issueSignIn(tx, deps, user.id, ["pwd"], input.deviceToken, input.options, client));
    });
  } catch (error) {
    if (!(error instanceof PasswordChanged)) throw error;
    // The password verified was replaced (a reset) while it was being checked: it is wrong now.
    // The refund above rolled back; the attempt counts as a failure.
    return failAttempt(deps, attempt, client, "password_changed");
  }
}

/**
 * The end of every sign-in, once the first factor is proven, inside its transaction: an MFA
 * challenge when the account has a second factor (and `deviceToken` is not a trusted device of
 * it), otherwise a new session. `amr` names the first factor (RFC 8176; "pwd", or "fed" for a
 * provider's ID token); a challenge carries it into the session it ends in. It reaches what the
 * second factor reaches (a challenge, or a session), so a feature that ends sign-ins lists MFA's
 * repositories.
 */
export async function issueSignIn(
  tx: Transaction<MfaRepositories>,
  deps: Uses<"secondFactor" | "sessions" | "clock">,
  userId: string,
  amr: string[],
  deviceToken: string,
  options: LoginOptions,
  client: ClientInfo,
  audit: Record<string, unknown> = {},
): Promise<LoginResult> {
  if (await deps.secondFactor.isRequired(tx, userId, deviceToken === "" ? undefined : deviceToken)) {
    const challenge = await deps.secondFactor.createChallenge(tx, userId, { ...options, amr }, client);
    return { kind: "challenge", userId, challenge };
  }
  const tokens = await deps.sessions.create(tx, {
    userId,
    amr,
    client,
    durationSeconds: options.durationSeconds,
  });
  if (options.signOutOtherSessions) await deps.sessions.revokeAll(tx, userId, tokens.sessionId);
  await tx.audit.record(deps.clock.now(), "login.succeeded", userId, client, {
    sessionId: tokens.sessionId,
    ...audit,
  });
  return { kind: "tokens", userId, tokens };
}

/**
 * Verifies the password, or spends the same time verifying nothing: for an unknown identifier (a
 * dummy at today's costs) and for a locked account (a dummy with the costs of its hash).
 */
function checkPassword(
  hasher: PasswordHasher,
  via: HashRunner,
  attempt: LoginAttempt,
  password: string,
): Promise<boolean> {
  const { user, slot } = attempt;
  if (!user) return hasher.verifyDummy(password, undefined, via);
  if (slot === "locked") return hasher.verifyDummy(password, user.passwordHash, via);
  return hasher.verifyPaced(user.passwordHash, password, via);
}
