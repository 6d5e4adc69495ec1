// The account app: one module per screen, wired to paths here.
import { Code, ConnectError } from "@connectrpc/connect";
import type { User } from "../../gen/authd/v1/common_pb.js";
import { auth } from "./client.js";
import { createRouter, type Screen } from "./router.js";
import { apiKeysScreen } from "./screens/api-keys.js";
import { closeAccountScreen } from "./screens/close-account.js";
import { devicesScreen } from "./screens/devices.js";
import { factorsScreen } from "./screens/factors.js";
import { forgotPasswordScreen } from "./screens/forgot-password.js";
import { identitiesScreen } from "./screens/identities.js";
import { linkScreens } from "./screens/links.js";
import { passwordScreen } from "./screens/password.js";
import { profileScreen } from "./screens/profile.js";
import { sessionsScreen } from "./screens/sessions.js";
import { signInScreen } from "./screens/sign-in.js";
import { signUpScreen } from "./screens/sign-up.js";
import { rememberTenantFrom } from "./tenant.js";

rememberTenantFrom(location.search);

const routes: Record<string, Screen> = {
  "/sign-in": signInScreen,
  "/sign-up": signUpScreen,
  "/forgot-password": forgotPasswordScreen,
  ...linkScreens,
  "/account": profileScreen,
  "/account/password": passwordScreen,
  "/account/factors": factorsScreen,
  "/account/sessions": sessionsScreen,
  "/account/api-keys": apiKeysScreen,
  "/account/devices": devicesScreen,
  "/account/linked-accounts": identitiesScreen,
  "/account/close": closeAccountScreen,
};

async function currentUser(): Promise<User | undefined> {
  try {
    return (await auth.getCurrentUser({})).user;
  } catch (error) {
    const code = ConnectError.from(error).code;
    if (code === Code.Unauthenticated || code === Code.PermissionDenied) return undefined;
    throw error;
  }
}

/**
 * Whether the menu offers "Linked accounts": only where the server has a provider to link at, or
 * the account still has an identity to unlink. Asked once per signed-in account.
 */
let linking: { userId: string; offered: Promise<boolean> } | undefined;
function offersLinking(user: User): Promise<boolean> {
  if (linking?.userId !== user.id) {
    const offered = auth.listLinkedIdentities({}).then(
      (res) => res.configuredProviders.length > 0 || res.identities.length > 0,
      () => false,
    );
    linking = { userId: user.id, offered };
  }
  return linking.offered;
}

const nav = document.getElementById("nav")!;
const linkedAccounts = document.getElementById("nav-linked-accounts")!;
const router = createRouter({
  routes,
  main: document.getElementById("app")!,
  currentUser,
  async onNavigate(user, path) {
    nav.hidden = !user;
    linkedAccounts.hidden = !(user && (await offersLinking(user)));
    for (const link of nav.querySelectorAll("a")) {
      if (link.getAttribute("href") === path) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
  },
});

document.getElementById("sign-out")!.addEventListener("click", async () => {
  await auth.logout({}).catch(() => undefined);
  router.go("/sign-in");
});

// The session cookies only work on authd's public origin (AUTHD_PUBLIC_URL), and in development
// without one at the loopback addresses of its port too: say so elsewhere.
const publicOrigin = document.querySelector<HTMLMetaElement>("meta[name='authd-public-origin']")?.content;
const localOrigins =
  document.querySelector<HTMLMetaElement>("meta[name='authd-local-origins']")?.content.split(" ") ?? [];
if (publicOrigin && publicOrigin !== location.origin && !localOrigins.includes(location.origin)) {
  const warning = document.getElementById("origin-warning")!;
  warning.append(
    "Signing in works only at authd's public address, ",
    Object.assign(document.createElement("a"), { href: publicOrigin, textContent: publicOrigin }),
    " (AUTHD_PUBLIC_URL).",
  );
  warning.hidden = false;
}

router.start();
