// Every factor change (adding, activating, regenerating or removing one, the first included)
// re-authenticates the caller, as ASVS 7.5.1 asks before changing authentication settings: the
// account password, and a recent second factor when the account already has one. Without the
// password, a stolen access token could enrol a factor of its own as the account's first: a later
// password reset would then ask the owner for the attacker's code.
import type { Principal } from "../../context.js";
import type { UserEntity } from "../../store/entities/user.js";
import type { Store } from "../../store/store.js";
import { invalidArgument } from "../errors.js";
import { activeUser } from "./authenticators.js";
import type { MfaDeps } from "./deps.js";
import { requireRecentSecondFactor } from "./step-up.js";

export type Caller = Pick<Principal, "userId" | "sessionId">;

/**
 * Checks the step-up first (cheap: no password is counted when it is missing), then runs
 * `beforePassword` (rate limits, counted before the expensive check), then checks the password
 * outside any transaction: argon2 must not hold the database. Wrong passwords count towards the
 * account's re-authentication limit. Answers the user as it was read.
 */
export async function reauthenticate(
  deps: MfaDeps,
  store: Store,
  caller: Caller,
  password: string,
  field: string,
  beforePassword: () => Promise<void> = async () => {},
): Promise<UserEntity> {
  if (password === "") throw invalidArgument(field, "is required to change second factors");
  const user = await store.transaction(async (em) => {
    const user = await activeUser(em, caller.userId);
    await requireRecentSecondFactor(em, caller, deps.clock.now());
    return user;
  });
  await beforePassword();
  await deps.passwords.confirm(user.id, user.passwordHash, password, field);
  return user;
}
