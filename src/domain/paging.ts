// Paging for list RPCs (AIP-158 style): `page_size`, an opaque `page_token`, `next_page_token`, and
// creation-time filters. Lists are newest first (a list may ask for oldest first) and paged by keyset on (created_at, id), never by
// offset, so a page stays correct while rows are added or removed and costs one index range scan.
//
// A page token is the position after the last row a page covered, plus the list and filters it was
// made for, base64url-encoded. It is not signed: it only ever selects rows of the caller's own list
// (every query is scoped to the caller), so a hand-made token can reach nothing a real one cannot.
// What matters is that any token that was not made by authd, or that is used with other filters or
// another list, answers InvalidArgument naming `page_token` instead of failing deeper down.
import { invalidArgument } from "./errors.js";

/** Used when a request leaves page_size at 0. */
export const DEFAULT_PAGE_SIZE = 50;
/** A larger page_size is lowered to this. */
export const MAX_PAGE_SIZE = 100;
const MAX_TOKEN_LENGTH = 512;
const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** What a list request asks for, as the transport read it. Times are epoch milliseconds. */
export interface PageRequest {
  pageSize: number;
  pageToken: string;
  /** Only rows created strictly after this time. */
  createdAfter?: number;
  /** Only rows created strictly before this time. */
  createdBefore?: number;
}

/** Where a row sits in the list's order. */
export interface Position {
  createdAt: number;
  id: string;
}

/** What a repository needs to read one page: rows strictly after `after`, within the filters. */
export interface KeysetQuery {
  /** Rows to read: one more than the page holds, to tell whether another page follows. */
  limit: number;
  /** Newest first unless the list asked for "oldest". */
  order?: "newest" | "oldest";
  after?: Position;
  createdAfter?: number;
  createdBefore?: number;
}

export interface Page<T> {
  items: T[];
  /** Empty on the last page. */
  nextPageToken: string;
}

interface TokenBody {
  /** Which list the token belongs to. */
  l: string;
  c: number;
  i: string;
  a: number | null;
  b: number | null;
}

/** Checks a request of list `list` and turns it into the repository's query. */
export function keysetQuery(
  list: string,
  request: PageRequest,
  order: "newest" | "oldest" = "newest",
): KeysetQuery {
  const { pageSize, createdAfter, createdBefore } = request;
  if (!Number.isInteger(pageSize) || pageSize < 0) throw invalidArgument("page_size", "must not be negative");
  for (const [field, value] of [
    ["created_after", createdAfter],
    ["created_before", createdBefore],
  ] as const) {
    if (value !== undefined && !Number.isSafeInteger(value))
      throw invalidArgument(field, "is not a valid time");
  }
  if (createdAfter !== undefined && createdBefore !== undefined && createdAfter >= createdBefore) {
    throw invalidArgument("created_before", "must be later than created_after");
  }
  const size = pageSize === 0 ? DEFAULT_PAGE_SIZE : Math.min(pageSize, MAX_PAGE_SIZE);
  const query: KeysetQuery = { limit: size + 1, createdAfter, createdBefore };
  if (order === "oldest") query.order = order;
  if (request.pageToken !== "")
    query.after = decodeToken(list, request.pageToken, createdAfter, createdBefore);
  return query;
}

/**
 * The page from the rows a repository read for `query` (in its order, at most `query.limit`).
 * `keep` drops rows that the database could not rule out (a session idle in memory, for example):
 * such a page may hold fewer rows than asked, which the contract allows, and paging still resumes
 * after the last row read.
 */
export function toPage<T>(
  list: string,
  query: KeysetQuery,
  rows: T[],
  positionOf: (row: T) => Position,
  keep: (row: T) => boolean = () => true,
): Page<T> {
  const size = query.limit - 1;
  const covered = rows.slice(0, size);
  const last = covered[covered.length - 1];
  const nextPageToken =
    rows.length > size && last !== undefined
      ? encodeToken(list, positionOf(last), query.createdAfter, query.createdBefore)
      : "";
  return { items: covered.filter(keep), nextPageToken };
}

function encodeToken(list: string, at: Position, after?: number, before?: number): string {
  const body: TokenBody = { l: list, c: at.createdAt, i: at.id, a: after ?? null, b: before ?? null };
  return Buffer.from(JSON.stringify(body), "utf8").toString("base64url");
}

function decodeToken(list: string, token: string, after?: number, before?: number): Position {
  const invalid = () => invalidArgument("page_token", "is not a page token of this list");
  if (token.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) throw invalid();
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  if (!isTokenBody(body) || body.l !== list) throw invalid();
  if (body.a !== (after ?? null) || body.b !== (before ?? null)) {
    throw invalidArgument("page_token", "was made for other created_after / created_before filters");
  }
  return { createdAt: body.c, id: body.i };
}

function isTokenBody(value: unknown): value is TokenBody {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  const time = (t: unknown) => t === null || Number.isSafeInteger(t);
  return (
    typeof v.l === "string" &&
    Number.isSafeInteger(v.c) &&
    (v.c as number) >= 0 &&
    typeof v.i === "string" &&
    ID.test(v.i) &&
    time(v.a) &&
    time(v.b)
  );
}
