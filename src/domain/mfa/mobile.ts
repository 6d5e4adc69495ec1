// Verifying the profile's mobile number with a code sent to it by SMS. Same rules as other codes:
// 10 minutes, single use, a new code replaces the old, five wrong codes lock for 15 minutes.
import { isUniqueViolation } from "../accounts/users.js";
import { alreadyExists, failedPrecondition, invalidArgument, withReason } from "../errors.js";
import type { MfaRepositories } from "../persistence.js";
import { commit, commitThenFail, type Outcome, type Transaction } from "../unit-of-work.js";
import { activeUser } from "./authenticators.js";
import type { MfaDeps } from "./deps.js";
import { clearFailures, lockedError, mobileKey, reserveAttempt } from "./failures.js";
import { limitSends, type SendLimitDeps } from "./limits.js";
import { consumeCode, sendCode } from "./sent-codes.js";

const binding = mobileKey;

/** Sends a new code to the profile's unverified number (counted against the user's sends). */
export async function resendMobileVerification(
  deps: Pick<MfaDeps, "uow" | "clock" | "notices" | "codeKey"> & SendLimitDeps,
  userId: string,
): Promise<void> {
  await limitSends(deps, userId);
  await deps.uow.run(async (tx) => commit(await sendMobileVerification(deps, tx, userId)));
}

/** Marks the profile's number verified with the code sent to it. */
export function verifyMobile(
  deps: Pick<MfaDeps, "uow" | "clock" | "codeKey">,
  userId: string,
  code: string,
): Promise<void> {
  return deps.uow
    .run((tx) => checkMobileCode(deps, tx, userId, code))
    .catch((error: unknown) => {
      // Another account verified the same number between the check and the write (below); the
      // code stays unspent (the transaction rolled back), which is harmless: the number is taken.
      if (isUniqueViolation(error)) throw mobileTaken();
      throw error;
    });
}

async function sendMobileVerification(
  deps: Pick<MfaDeps, "clock" | "notices" | "codeKey">,
  tx: Transaction<MfaRepositories>,
  userId: string,
): Promise<number> {
  const user = await activeUser(tx, userId);
  if (user.mobile === "") throw failedPrecondition("the profile has no mobile number");
  if (user.mobileVerified) throw failedPrecondition("the mobile number is already verified");
  return sendCode(tx, deps, deps.clock.now(), {
    binding: binding(userId),
    userId,
    channel: "sms",
    destination: user.mobile,
    purpose: "verifying this number",
  });
}

async function checkMobileCode(
  deps: Pick<MfaDeps, "clock" | "codeKey">,
  tx: Transaction<MfaRepositories>,
  userId: string,
  code: string,
): Promise<Outcome<undefined>> {
  if (code.trim() === "") throw invalidArgument("code", "is required");
  const now = deps.clock.now();
  const user = await activeUser(tx, userId);
  if (user.mobile === "") throw failedPrecondition("the profile has no mobile number");
  const key = binding(userId);
  const locked = await reserveAttempt(tx, key, now);
  if (locked) return commitThenFail(locked);
  const row = await consumeCode(tx, deps.codeKey, key, code, now);
  // A code sent to an earlier number does not verify the current one.
  if (!row || row.destination !== user.mobile) {
    return commitThenFail(
      (await lockedError(tx, key, now)) ??
        withReason("INVALID_CODE", invalidArgument("code", "is wrong or has expired")),
    );
  }
  await clearFailures(tx, key);
  // A verified number is a sign-in identifier, so one account holds it. The code proved that the
  // caller has the phone, so saying the number is taken tells them nothing about a stranger's
  // account they could not learn by owning the phone. Two accounts verifying one number at once
  // both pass this check; the unique index refuses the second (verifyMobile answers it the same way).
  if (await tx.mfa.users.isMobileVerifiedElsewhere(userId, user.mobile)) {
    return commitThenFail(mobileTaken());
  }
  await tx.mfa.users.markMobileVerified(userId, now);
  return commit(undefined);
}

/** The answer when another account holds the number verified (checked, or refused by the index). */
export function mobileTaken() {
  return alreadyExists("mobile: is already verified on another account");
}
