// The lists an administrator pages through (users, audit events) are bound to their tenant and
// filters: a page token made for one is refused by another (paging.ts names its list).
import { createHash } from "node:crypto";

/** `kind` with a short digest of the list's tenant and filters, as paging.ts' list name. */
export function boundList(kind: string, values: unknown[]): string {
  return `${kind}:${createHash("sha256").update(JSON.stringify(values)).digest("base64url").slice(0, 16)}`;
}
