// Re-authentication, the one rule. Whatever changes credentials, factors, linked identities or
// another account, or reveals a credential, asks the caller to prove again who they are, exactly as
// their own password change does:
// - a signed-in session: an API key is refused, since no scope is made for these changes (a key
//   outlives the session it was made from, and proves no password or factor when used);
// - the account's password, counted per account (PasswordConfirmation: wrong guesses from a stolen
//   session end in RESOURCE_EXHAUSTED); an account that has none (made by a provider sign-in, and
//   any way in without a password) proves itself by a recent sign-in instead, as OpenID Connect's
//   max_age and auth_time do: this session began within the step-up window (every session is a
//   sign-in), else REAUTHENTICATION_REQUIRED tells it to sign in again;
// - a second factor proven recently in this session (MfaService.StepUp, or an MFA sign-in) when
//   the account has an active one: a stolen session plus a leaked password is not enough.
// The checks run cheapest first: nothing is counted against the password when the request would be
// refused anyway, and argon2 runs outside any transaction.
import type { Clock } from "../clock.js";
import { invalidArgument, permissionDenied, unauthenticated, withReason } from "./errors.js";
import { requireRecentSecondFactor } from "./mfa/step-up.js";
import type { PasswordConfirmation } from "./password-confirmation.js";
import { hasPassword } from "./passwords.js";
import type { ReauthenticationRepositories, Repositories, UserRecord } from "./persistence.js";
import type { UnitOfWork } from "./unit-of-work.js";

/** Who re-authenticates: the account, and the session the call came from (none for an API key). */
export interface ReauthCaller {
  userId: string;
  sessionId: string | undefined;
}

/** Every RPC carries the password in a field of this name. */
const FIELD = "current_password";

export interface ReauthOptions {
  /** What the password is asked for, for the message when it is missing ("to change the email"). */
  purpose?: string;
  /** Work counted before the password is (a send limit, say), so a refusal there costs no guess. */
  beforePassword?: () => Promise<void>;
}

/** What a use case needs of the rule; the one implementation is Reauthentication below. */
export interface Reauthenticator {
  /**
   * Throws unless the caller re-authenticated (see the file comment); answers the caller's account
   * as it was when its password was verified, for writes that must hold only over that hash.
   */
  confirm(caller: ReauthCaller, password: string, options?: ReauthOptions): Promise<UserRecord>;
}

export interface ReauthenticationDeps {
  uow: UnitOfWork<ReauthenticationRepositories>;
  clock: Clock;
  passwords: PasswordConfirmation;
  /** How long a sign-in re-authenticates an account without a password (AUTHD_STEP_UP_TTL). */
  recentSignInSeconds: number;
}

export class Reauthentication implements Reauthenticator {
  constructor(private readonly deps: ReauthenticationDeps) {}

  async confirm(caller: ReauthCaller, password: string, options: ReauthOptions = {}): Promise<UserRecord> {
    if (caller.sessionId === undefined)
      throw permissionDenied(
        "this change needs a signed-in session and the account password, not an API key: no scope allows it",
      );
    const user = await this.deps.uow.read(async (reads) => {
      const user = await reads.users.findById(caller.userId);
      if (user?.status !== "active") throw unauthenticated("the account is not active");
      // A missing password is the client's mistake, answered first. An account that has none is
      // asked for none (one given is ignored): its proof is the session's own sign-in.
      if (!hasPassword(user.passwordHash)) await this.requireRecentSignIn(reads, caller, options);
      else if (password === "")
        throw invalidArgument(FIELD, options.purpose ? `is required ${options.purpose}` : "is required");
      await requireRecentSecondFactor(reads, caller, this.deps.clock.now());
      return user;
    });
    await options.beforePassword?.();
    if (hasPassword(user.passwordHash))
      await this.deps.passwords.confirm(user.id, user.passwordHash, password, FIELD);
    return user;
  }

  /** REAUTHENTICATION_REQUIRED unless the caller's session began (signed in) within the window. */
  private async requireRecentSignIn(
    reads: Pick<Repositories, "sessions">,
    caller: ReauthCaller,
    options: ReauthOptions,
  ): Promise<void> {
    const session = caller.sessionId === undefined ? null : await reads.sessions.findById(caller.sessionId);
    const windowMs = this.deps.recentSignInSeconds * 1000;
    if (session?.userId === caller.userId && session.createdAt + windowMs > this.deps.clock.now()) return;
    const minutes = Math.max(1, Math.round(this.deps.recentSignInSeconds / 60));
    throw withReason(
      "REAUTHENTICATION_REQUIRED",
      permissionDenied(
        `this account has no password, so a recent sign-in stands in for it: sign in again ${options.purpose ?? "to do this"} (a sign-in counts for ${minutes} minute${minutes === 1 ? "" : "s"})`,
      ),
    );
  }
}
