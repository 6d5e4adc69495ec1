// Sign-in with an identifier and a password. Unknown identifier, wrong password and (while the
// password is wrong) a locked account all give the same answer in about the same time: a dummy
// argon2 verification stands in for the missing account.
import type { EntityManager } from "typeorm";
import { UserEntity } from "../../store/entities/user.js";
import { recordAudit } from "../audit.js";
import { failedPrecondition, invalidArgument, invalidCredentials, resourceExhausted } from "../errors.js";
import type { ClientInfo, IssuedTokens, LoginChallenge, LoginOptions } from "../ports.js";
import type { AccountDeps } from "./deps.js";
import { findUserByIdentifier } from "./users.js";

export interface LoginInput {
  identifier: string;
  password: string;
  deviceToken: string;
  options: LoginOptions;
}

export type LoginResult =
  | { kind: "tokens"; userId: string; tokens: IssuedTokens }
  | { kind: "challenge"; userId: string; challenge: LoginChallenge };

const ipKey = (ip: string) => `login-failures:ip:${ip}`;

export async function login(deps: AccountDeps, input: LoginInput, client: ClientInfo): Promise<LoginResult> {
  const { config } = deps;
  if (input.identifier.trim() === "") throw invalidArgument("identifier", "is required");
  if (input.password === "") throw invalidArgument("password", "is required");
  const duration = input.options.durationSeconds;
  if (duration !== undefined && duration <= 0) throw invalidArgument("session_duration", "must be positive");

  const window = config.rateLimitWindowSeconds;
  const ipState = await deps.rateLimiter.peek(
    ipKey(client.rateLimitKey),
    config.loginMaxFailuresPerIp,
    window,
  );
  if (!ipState.allowed)
    throw resourceExhausted("too many failed sign-ins from this address", ipState.retryAfterSeconds);

  const user = await deps.store.transaction((em) => findUserByIdentifier(em, input.identifier));
  const passwordOk = user
    ? await deps.hasher.verify(user.passwordHash, input.password)
    : await deps.hasher.verifyDummy(input.password);

  if (!user || !passwordOk) {
    await deps.rateLimiter.consume(ipKey(client.rateLimitKey), config.loginMaxFailuresPerIp, window);
    await deps.store.transaction(async (em) => {
      const now = deps.clock.now();
      if (!user) return recordAudit(em, now, "login.failed", null, client, { reason: "unknown_identifier" });
      const locked = await countFailure(em, deps, user.id, now);
      await recordAudit(em, now, locked ? "login.locked" : "login.failed", user.id, client, {
        reason: "wrong_password",
      });
    });
    throw invalidCredentials();
  }

  // The password is right: from here on the answer may say what stands in the way.
  const now = deps.clock.now();
  if (user.lockedUntil !== null && user.lockedUntil > now) {
    throw resourceExhausted(
      "this account is locked after too many failed sign-ins",
      (user.lockedUntil - now) / 1000,
    );
  }
  if (user.status !== "active") throw failedPrecondition("this account is deactivated");
  if (!user.emailVerified)
    throw failedPrecondition("the email address is not verified yet: follow the link we sent");

  const upgradedHash = deps.hasher.needsRehash(user.passwordHash)
    ? await deps.hasher.hash(input.password)
    : null;

  return deps.store.transaction(async (em): Promise<LoginResult> => {
    await em.update(
      UserEntity,
      { id: user.id },
      { failedLogins: 0, lockedUntil: null, ...(upgradedHash ? { passwordHash: upgradedHash } : {}) },
    );
    const deviceToken = input.deviceToken === "" ? undefined : input.deviceToken;
    if (await deps.secondFactor.isRequired(em, user.id, deviceToken)) {
      const challenge = await deps.secondFactor.createChallenge(em, user.id, input.options, client);
      return { kind: "challenge", userId: user.id, challenge };
    }
    const tokens = await deps.sessions.create(em, {
      userId: user.id,
      amr: ["pwd"],
      client,
      durationSeconds: duration,
    });
    if (input.options.signOutOtherSessions) await deps.sessions.revokeAll(em, user.id, tokens.sessionId);
    await recordAudit(em, now, "login.succeeded", user.id, client, { sessionId: tokens.sessionId });
    return { kind: "tokens", userId: user.id, tokens };
  });
}

/**
 * Counts a failed password for the account in one statement (no read-then-write race between
 * replicas); reaching the limit locks the account and restarts the count. Failures while locked do
 * not extend the lock, so nobody can keep an account locked past one lockout period at a time.
 * Answers whether this failure locked the account.
 */
async function countFailure(
  em: EntityManager,
  deps: AccountDeps,
  userId: string,
  now: number,
): Promise<boolean> {
  const max = deps.config.loginMaxFailuresPerAccount;
  const until = now + deps.config.lockoutSeconds * 1000;
  await em
    .createQueryBuilder()
    .update(UserEntity)
    .set({
      failedLogins: () => "CASE WHEN failed_logins + 1 >= :max THEN 0 ELSE failed_logins + 1 END",
      lockedUntil: () => "CASE WHEN failed_logins + 1 >= :max THEN :until ELSE locked_until END",
    })
    .where("id = :id AND (locked_until IS NULL OR locked_until <= :now)", { id: userId, now })
    .setParameters({ max, until })
    .execute();
  const row = await em.findOneByOrFail(UserEntity, { id: userId });
  return row.lockedUntil === until;
}
