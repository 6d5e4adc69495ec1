// Registration that signs in (AUTHD_SIGN_IN_AT_REGISTRATION, only with email verification turned
// off): the account is made before the answer, and the answer carries its tokens. The deployment
// gives up Register's enumeration safety for it: a registration that answers tokens for a new
// address must answer something else for a taken one, and a silent answer without tokens would
// tell the same thing. So a taken email or username answers ALREADY_EXISTS, naming the field, as
// UpdateCurrentUser does for a taken username. The per-IP registration limit bounds the probing.
import { alreadyExists } from "../errors.js";
import type { ClientInfo, LoginOptions } from "../ports.js";
import type { IssuedTokens } from "../sessions/index.js";
import { commit } from "../unit-of-work.js";
import type { Uses } from "./deps.js";
import { issueSignIn } from "./login.js";
import {
  type AdmissionDeps,
  admitRegistration,
  insertAccount,
  type RegisterInput,
  register,
} from "./registration.js";
import { findUserByEmail, isUniqueViolation } from "./users.js";

export interface RegisteredSession {
  userId: string;
  tokens: IssuedTokens;
}

/** The session a registration signs in to: the defaults, its tokens in the answer's body. */
const REGISTRATION_SESSION: LoginOptions = {
  durationSeconds: undefined,
  authMethod: "token",
  signOutOtherSessions: false,
};

/**
 * Register, as the deployment has it: the tokens of the new account's first session when it signs
 * in at registration (AUTHD_SIGN_IN_AT_REGISTRATION), else null (the account is made after the
 * answer, registration.ts).
 */
export async function registerAccount(
  deps: AdmissionDeps &
    Uses<
      "afterReply" | "mail" | "secondFactor" | "sessions",
      "signInAtRegistration" | "emailVerificationTtlSeconds"
    >,
  input: RegisterInput,
  client: ClientInfo,
): Promise<IssuedTokens | null> {
  if (!deps.config.signInAtRegistration) {
    await register(deps, input, client);
    return null;
  }
  return (await registerAndSignIn(deps, input, REGISTRATION_SESSION, client)).tokens;
}

export async function registerAndSignIn(
  deps: AdmissionDeps & Uses<"mail" | "secondFactor" | "sessions", "emailVerificationTtlSeconds">,
  input: RegisterInput,
  options: LoginOptions,
  client: ClientInfo,
): Promise<RegisteredSession> {
  const work = await admitRegistration(deps, input, client);
  const created = deps.uow.run(async (tx) => {
    if (await findUserByEmail(tx, work.tenantId, work.email)) throw emailTaken();
    if (work.username !== null && (await tx.accounts.findByUsername(work.tenantId, work.username)))
      throw usernameTaken();
    const userId = await insertAccount(deps, tx, work);
    // A new account has no second factor, so this is always a session.
    const signedIn = await issueSignIn(tx, deps, userId, ["pwd"], "", options, client);
    if (signedIn.kind !== "tokens") throw new Error("a new account was asked for a second factor");
    return commit({ userId, tokens: signedIn.tokens });
  });
  // Two registrations of one email (or username) at once both pass the checks above; the unique
  // index refuses the second, which answers as if it had seen the first.
  return created.catch((error: unknown) => {
    if (isUniqueViolation(error)) throw violatedColumn(error) === "username" ? usernameTaken() : emailTaken();
    throw error;
  });
}

/** Which column a unique violation names: SQLite says "users.username", PostgreSQL "Key (username)". */
function violatedColumn(error: unknown): "username" | "email" {
  const e = error as { message?: string; detail?: string; driverError?: { detail?: string } };
  const text = `${e.message ?? ""} ${e.detail ?? e.driverError?.detail ?? ""}`;
  return /\busername\b/.test(text) ? "username" : "email";
}

const emailTaken = () => alreadyExists("email: is already registered");
const usernameTaken = () => alreadyExists("username: is already taken");
