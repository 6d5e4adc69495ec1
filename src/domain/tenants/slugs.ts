// The public handle of a tenant. Slugs appear in requests (LoginRequest.tenant) and may appear in
// URLs, so they are plain: lower-case a-z, 0-9 and '-', 3 to 63 characters (a DNS label), no '-' at
// either end, and not a word that would read as part of authd itself.
import { invalidArgument } from "../errors.js";

const SLUG = /^[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]$/;

/** Words a tenant may not take: they would be mistaken for authd's own paths, or for a system. */
export const RESERVED_SLUGS: ReadonlySet<string> = new Set([
  "default",
  "admin",
  "administrator",
  "api",
  "app",
  "auth",
  "authd",
  "internal",
  "login",
  "operator",
  "root",
  "static",
  "support",
  "system",
  "www",
]);

/** Whether `value` has the shape of a slug (reserved words included); cheap, and no query. */
export function hasSlugShape(value: string): boolean {
  return SLUG.test(value);
}

/** The slug, checked; invalid_argument naming `field` otherwise. */
export function checkSlug(slug: string, field: string): string {
  if (!SLUG.test(slug)) {
    throw invalidArgument(
      field,
      "must be 3 to 63 characters of a-z, 0-9 and '-', not starting or ending with '-'",
    );
  }
  if (RESERVED_SLUGS.has(slug)) throw invalidArgument(field, `"${slug}" is reserved`);
  return slug;
}

/** Display names: 1 to 100 characters after trimming. */
export function checkTenantName(name: string, field: string): string {
  const trimmed = name.trim();
  if (trimmed === "" || [...trimmed].length > 100)
    throw invalidArgument(field, "must be 1 to 100 characters");
  return trimmed;
}
