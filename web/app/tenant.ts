// The tenant (company) the public screens act on. A company gives its users the app's address with
// `?tenant=<slug>`; the slug is remembered for this tab (sessionStorage: a slug is public, and a new
// tab starts on the default tenant) so that moving between sign-in, sign-up and the reset screen
// keeps it. `?tenant=` with nothing after it goes back to the default tenant. Once signed in, the
// account's tenant comes with its session and nothing here is needed.
import { h } from "./dom.js";

const KEY = "authd.tenant";

/** Takes `?tenant=` from the page's address, when present. */
export function rememberTenantFrom(search: string): void {
  const named = new URLSearchParams(search).get("tenant");
  if (named === null) return;
  if (named.trim() === "") sessionStorage.removeItem(KEY);
  else sessionStorage.setItem(KEY, named.trim().toLowerCase());
}

/** The slug to send as `tenant` ("" for the default tenant). */
export function currentTenant(): string {
  return sessionStorage.getItem(KEY) ?? "";
}

/** A line naming the company the screen acts on; nothing for the default tenant. */
export function tenantNote(): HTMLElement[] {
  const tenant = currentTenant();
  return tenant === "" ? [] : [h("p", { class: "tenant" }, "Company: ", h("strong", {}, tenant))];
}
