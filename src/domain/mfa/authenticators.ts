// Reading authenticators: the caller's list and one by id (ListAuthenticators, GetAuthenticator),
// and the summary shape the rest of the app sees (never a secret).
import { invalidArgument, notFound, unauthenticated } from "../errors.js";
import { keysetQuery, type Page, type PageRequest, toPage } from "../paging.js";
import type { Repositories } from "../persistence.js";
import type { AuthenticatorSummary } from "../ports.js";
import type { MfaDeps } from "./deps.js";
import type { AuthenticatorKind, AuthenticatorRecord, MfaUser } from "./persistence.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** "+61••••••006" for numbers, "a•••@example.com" for addresses. */
export function maskDestination(destination: string): string {
  if (destination === "") return "";
  const at = destination.indexOf("@");
  if (at > 0) return `${destination[0]}•••${destination.slice(at)}`;
  if (destination.length <= 6) return "•".repeat(destination.length);
  return `${destination.slice(0, 3)}${"•".repeat(destination.length - 6)}${destination.slice(-3)}`;
}

export async function summarise(
  reads: Pick<Repositories, "mfa">,
  a: AuthenticatorRecord,
): Promise<AuthenticatorSummary> {
  return {
    id: a.id,
    type: a.type,
    active: a.active,
    destinationHint: maskDestination(a.destination),
    remainingCodes: a.type === "recovery_codes" ? await reads.mfa.recoveryCodes.countUnused(a.id) : 0,
    createdAt: a.createdAt,
    lastUsedAt: a.lastUsedAt,
  };
}

export async function summariseAll(
  reads: Pick<Repositories, "mfa">,
  authenticators: AuthenticatorRecord[],
): Promise<AuthenticatorSummary[]> {
  const out = [];
  for (const a of authenticators) out.push(await summarise(reads, a));
  return out;
}

/** What ListAuthenticators narrows its list to: a kind, and verified (active) or pending ones. */
export interface AuthenticatorListFilter {
  type?: AuthenticatorKind;
  verified?: boolean;
}

/**
 * One page of the user's authenticators, newest first (paging.ts). A page token holds the filters
 * it was made for (in the list name), so a token used with other filters is refused by name.
 */
export async function listAuthenticators(
  deps: Pick<MfaDeps, "uow">,
  userId: string,
  request: PageRequest,
  filter: AuthenticatorListFilter,
): Promise<Page<AuthenticatorSummary>> {
  const list = `authenticators:${filter.type ?? "any"}:${filter.verified ?? "any"}`;
  const query = keysetQuery(list, request);
  return deps.uow.read(async (reads) => {
    const rows = await reads.mfa.authenticators.pageOfUser(userId, query, {
      type: filter.type,
      active: filter.verified,
    });
    const page = toPage(list, query, rows, (a) => a);
    return { items: await summariseAll(reads, page.items), nextPageToken: page.nextPageToken };
  });
}

/** One of the user's authenticators; NotFound for anybody else's. */
export function getAuthenticator(
  deps: Pick<MfaDeps, "uow">,
  userId: string,
  id: string,
): Promise<AuthenticatorSummary> {
  return deps.uow.read(async (reads) => summarise(reads, await ownAuthenticator(reads, userId, id)));
}

/** True when the user has an active factor, recovery codes with none left excepted. */
export async function hasActiveFactor(reads: Pick<Repositories, "mfa">, userId: string): Promise<boolean> {
  for (const a of await reads.mfa.authenticators.listActive(userId)) {
    if (a.type !== "recovery_codes" || (await reads.mfa.recoveryCodes.countUnused(a.id)) > 0) return true;
  }
  return false;
}

export function checkAuthenticatorId(id: string, field = "authenticator_id"): string {
  if (id === "") throw invalidArgument(field, "is required");
  if (!UUID.test(id)) throw invalidArgument(field, "is not an authenticator id");
  return id;
}

/** One of the user's authenticators; NotFound for anybody else's (no probing of other ids). */
export async function ownAuthenticator(
  reads: Pick<Repositories, "mfa">,
  userId: string,
  id: string,
  field = "authenticator_id",
): Promise<AuthenticatorRecord> {
  checkAuthenticatorId(id, field);
  const a = await reads.mfa.authenticators.findOfUser(userId, id);
  if (!a) throw notFound("no such authenticator");
  return a;
}

export async function activeUser(reads: Pick<Repositories, "mfa">, userId: string): Promise<MfaUser> {
  const user = await reads.mfa.users.findById(userId);
  if (user?.status !== "active") throw unauthenticated("the account is not active");
  return user;
}
