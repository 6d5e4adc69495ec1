// Sign-in challenges. After a correct password, Login stores a challenge (only the hash of its
// random 256-bit id) holding the login options (createChallenge, through the SecondFactorGate);
// DeliverChallenge sends an SMS or email code for it; VerifyChallenge consumes it with one
// conditional UPDATE, so of two concurrent verifications only one creates a session. Both RPCs are
// public: the challenge id is the credential.
import { randomUUID } from "node:crypto";
import { challengeExpired, failedPrecondition, invalidArgument } from "../errors.js";
import type { MfaRepositories, Repositories } from "../persistence.js";
import type { ClientInfo, LoginChallenge, LoginOptions } from "../ports.js";
import { hashSecret, randomToken } from "../secrets.js";
import type { IssuedTokens } from "../sessions/index.js";
import { holdTenantFirst } from "../tenants/gate.js";
import { commit, commitThenFail, type Outcome, type Transaction } from "../unit-of-work.js";
import { activeUser, checkAuthenticatorId, ownAuthenticator, summariseAll } from "./authenticators.js";
import type { MfaDeps } from "./deps.js";
import { limitSends, type SendLimitDeps } from "./limits.js";
import type { AuthenticatorKind, ChallengeOptions, ChallengeRecord } from "./persistence.js";
import { sendCode } from "./sent-codes.js";
import { recordStepUp } from "./step-up.js";
import { rememberDevice } from "./trusted-devices.js";
import {
  type CodeDeps,
  checkCode,
  codeErrors,
  type PreparedRecoveryCode,
  prepareRecoveryCode,
} from "./verify-code.js";

export const CHALLENGE_TTL_SECONDS = 5 * 60;
const PREFIX = "mfa_";

const challengeBinding = (challengeId: string, authenticatorId: string) =>
  `challenge:${challengeId}:${authenticatorId}`;

/** The RFC 8176 method reference a factor adds to the session's amr. */
const amrOf: Record<AuthenticatorKind, string> = {
  totp: "otp",
  sms: "sms",
  email: "otp",
  recovery_codes: "otp",
};

/** Stores a challenge in Login's transaction; answers its token and the factors it may be answered with. */
export async function createChallenge(
  deps: Pick<MfaDeps, "clock">,
  tx: Transaction<MfaRepositories>,
  userId: string,
  options: LoginOptions,
  client: ClientInfo,
): Promise<LoginChallenge> {
  const now = deps.clock.now();
  const token = `${PREFIX}${randomToken(32)}`;
  const expiresAt = now + CHALLENGE_TTL_SECONDS * 1000;
  const stored: ChallengeOptions = {
    durationSeconds: options.durationSeconds ?? null,
    authMethod: options.authMethod,
    signOutOtherSessions: options.signOutOtherSessions,
    amr: options.amr ?? ["pwd"],
    ip: client.ip,
    userAgent: client.userAgent,
  };
  await tx.mfa.challenges.insert({
    id: randomUUID(),
    tokenHash: hashSecret(token),
    userId,
    options: stored,
    expiresAt,
    consumedAt: null,
    createdAt: now,
  });
  const authenticators = await summariseAll(tx, await tx.mfa.authenticators.listActive(userId));
  return { challengeId: token, expiresAt, authenticators };
}

/** The live challenge for a token; the same Unauthenticated answer for unknown, used and expired. */
async function liveChallenge(
  reads: Pick<Repositories, "mfa">,
  token: string,
  now: number,
): Promise<ChallengeRecord> {
  if (token === "") throw invalidArgument("challenge_id", "is required");
  if (!token.startsWith(PREFIX) || token.length > 128) throw challengeExpired();
  const challenge = await reads.mfa.challenges.findByTokenHash(hashSecret(token));
  if (!challenge || challenge.consumedAt !== null || challenge.expiresAt <= now) {
    throw challengeExpired();
  }
  return challenge;
}

/**
 * The user a live challenge token belongs to, or null; for the work done before the transaction
 * (rate limits, comparing a recovery code).
 */
async function challengeOwner(
  reads: Pick<Repositories, "mfa">,
  token: string,
  now: number,
): Promise<string | null> {
  if (!token.startsWith(PREFIX) || token.length > 128) return null;
  const challenge = await reads.mfa.challenges.findByTokenHash(hashSecret(token));
  if (!challenge || challenge.consumedAt !== null || challenge.expiresAt <= now) return null;
  return challenge.userId;
}

async function offeredAuthenticator(
  reads: Pick<Repositories, "mfa">,
  challenge: ChallengeRecord,
  authenticatorId: string,
) {
  const a = await ownAuthenticator(reads, challenge.userId, authenticatorId);
  if (!a.active) throw failedPrecondition("the authenticator is not active");
  return a;
}

/**
 * Sends the SMS or email code of a challenge; answers when the code expires. The send is counted
 * against the challenge's owner before the transaction.
 */
export async function deliverChallenge(
  deps: Pick<MfaDeps, "uow" | "clock" | "notices" | "codeKey"> & SendLimitDeps,
  token: string,
  authenticatorId: string,
): Promise<number> {
  const userId = await deps.uow.read((reads) => challengeOwner(reads, token, deps.clock.now()));
  if (userId !== null) await limitSends(deps, userId);
  return deps.uow.run(async (tx) => commit(await sendChallengeCode(deps, tx, token, authenticatorId)));
}

async function sendChallengeCode(
  deps: Pick<MfaDeps, "clock" | "notices" | "codeKey">,
  tx: Transaction<MfaRepositories>,
  token: string,
  authenticatorId: string,
): Promise<number> {
  const now = deps.clock.now();
  const challenge = await liveChallenge(tx, token, now);
  const a = await offeredAuthenticator(tx, challenge, authenticatorId);
  if (a.type !== "sms" && a.type !== "email") {
    throw invalidArgument("authenticator_id", "only SMS and email authenticators need a delivered code");
  }
  return sendCode(tx, deps, now, {
    binding: challengeBinding(challenge.id, a.id),
    userId: challenge.userId,
    channel: a.type,
    destination: a.destination,
    purpose: "signing in",
  });
}

export interface ChallengeAnswer {
  challengeId: string;
  authenticatorId: string;
  code: string;
  rememberDevice: boolean;
  client: ClientInfo;
}

export interface ChallengeResult {
  tokens: IssuedTokens;
  authMethod: "token" | "cookie";
  deviceToken: string | undefined;
}

/** What answering a challenge reads: checking the code, and ending the sign-in in a session. */
type AnswerDeps = CodeDeps & Pick<MfaDeps, "sessions" | "stepUpTtlSeconds" | "trustedDeviceTtlSeconds">;

/**
 * Answers a challenge: with the right code, the sign-in ends in a session (and a remembered device
 * when asked). A recovery code is compared before the transaction (argon2, slow), never inside.
 */
export async function verifyChallenge(
  deps: AnswerDeps & Pick<MfaDeps, "uow" | "hasher">,
  answer: ChallengeAnswer,
): Promise<ChallengeResult> {
  const { challengeId, authenticatorId, code } = answer;
  const userId = await deps.uow.read((reads) => challengeOwner(reads, challengeId, deps.clock.now()));
  const prepared =
    userId === null || authenticatorId === ""
      ? null
      : await prepareRecoveryCode(deps, userId, code, checkAuthenticatorId(authenticatorId));
  return deps.uow.run((tx) => answerChallenge(deps, tx, answer, prepared));
}

/**
 * Answers a challenge in its transaction: where a second-factor sign-in ends. A wrong code answers
 * `commitThenFail`, not a throw, so that the failure count commits (see unit-of-work.ts). A
 * recovery code comes compared (`prepared`).
 */
async function answerChallenge(
  deps: AnswerDeps,
  tx: Transaction<MfaRepositories>,
  answer: ChallengeAnswer,
  prepared: PreparedRecoveryCode | null,
): Promise<Outcome<ChallengeResult>> {
  const now = deps.clock.now();
  // The account's tenant before any row of the account (the lock order of
  // TenantUserRepository.lock): read without a lock to learn which, then held, then read again.
  const owner = await challengeOwner(tx, answer.challengeId, now);
  if (owner !== null) await holdTenantFirst(tx, (await tx.users.findById(owner))?.tenantId ?? null);
  const challenge = await liveChallenge(tx, answer.challengeId, now);
  const a = await offeredAuthenticator(tx, challenge, answer.authenticatorId);
  const context = { ip: answer.client.ip, userAgent: answer.client.userAgent };
  const check = await checkCode(
    deps,
    tx,
    a,
    answer.code,
    challengeBinding(challenge.id, a.id),
    codeErrors,
    prepared,
  );
  if (!check.ok) {
    await tx.audit.record(now, "mfa.challenge_failed", challenge.userId, context, { authenticatorId: a.id });
    return commitThenFail(check.error);
  }
  if (!(await tx.mfa.challenges.claim(challenge.id, now))) throw challengeExpired();
  await activeUser(tx, challenge.userId);

  const options = challenge.options;
  const amr = [...new Set([...options.amr, amrOf[a.type], "mfa"])];
  const tokens = await deps.sessions.create(tx, {
    userId: challenge.userId,
    amr,
    client: answer.client,
    durationSeconds: options.durationSeconds ?? undefined,
  });
  if (options.signOutOtherSessions) await deps.sessions.revokeAll(tx, challenge.userId, tokens.sessionId);
  // Signing in with a second factor is a fresh proof of it for the new session.
  await recordStepUp(tx, tokens.sessionId, challenge.userId, now, deps.stepUpTtlSeconds);
  const deviceToken = answer.rememberDevice
    ? await rememberDevice(tx, challenge.userId, answer.client, now, deps.trustedDeviceTtlSeconds)
    : undefined;
  await tx.audit.record(now, "mfa.challenge_passed", challenge.userId, context, {
    authenticatorId: a.id,
    sessionId: tokens.sessionId,
    rememberDevice: answer.rememberDevice,
  });
  return commit({ tokens, authMethod: options.authMethod, deviceToken });
}
