// A tiny history router: each path maps to a screen that renders into <main>. Links inside the app
// navigate without a reload; after each navigation the new heading takes the focus so keyboard and
// screen-reader users land at the top of the new screen.
import type { User } from "../../gen/authd/v1/common_pb.js";
import { errorMessage } from "./errors.js";

export interface Screen {
  title: string;
  /** Screens of a signed-in account; the others are public. */
  private?: boolean;
  render(view: View): void | Promise<void>;
}

export interface View {
  main: HTMLElement;
  /** The signed-in account, for private screens. */
  user: User;
  go(path: string): void;
  /** Reloads the signed-in account (after a profile change). */
  refreshUser(): Promise<User | undefined>;
}

export interface Router {
  start(): void;
  go(path: string): void;
}

export function createRouter(options: {
  routes: Record<string, Screen>;
  main: HTMLElement;
  currentUser(): Promise<User | undefined>;
  /** Updates what surrounds the screen (the menu) before the screen is drawn. */
  onNavigate(user: User | undefined, path: string): void | Promise<void>;
}): Router {
  const { routes, main } = options;
  let user: User | undefined;

  async function show(path: string): Promise<void> {
    try {
      await render(path);
    } catch (error) {
      main.replaceChildren(heading("Something went wrong"), alertText(errorMessage(error)));
      main.querySelector("h1")?.focus();
    }
  }

  async function render(path: string): Promise<void> {
    user = await options.currentUser();
    if (path === "/") return go(user ? "/account" : "/sign-in", true);
    const screen = routes[path];
    if (screen?.private && !user) return go("/sign-in", true);
    if ((path === "/sign-in" || path === "/sign-up") && user) return go("/account", true);
    await options.onNavigate(user, path);
    main.replaceChildren();
    if (!screen) {
      document.title = "Not found · authd";
      main.append(heading("Page not found"));
      return;
    }
    document.title = `${screen.title} · authd`;
    const view: View = {
      main,
      user: user as User,
      go,
      async refreshUser() {
        user = await options.currentUser();
        return user;
      },
    };
    await screen.render(view);
    main.querySelector("h1")?.focus();
  }

  function go(path: string, replace = false): void {
    if (replace) history.replaceState(null, "", path);
    else history.pushState(null, "", path);
    void show(path);
  }

  return {
    go,
    start() {
      addEventListener("popstate", () => void show(location.pathname));
      document.addEventListener("click", (event) => {
        const link = (event.target as Element).closest?.("a[href^='/']");
        if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey) return;
        if (link.hasAttribute("download")) return;
        event.preventDefault();
        go(link.getAttribute("href")!);
      });
      void show(location.pathname);
    },
  };
}

function alertText(text: string): HTMLParagraphElement {
  const p = document.createElement("p");
  p.className = "form-error";
  p.setAttribute("role", "alert");
  p.textContent = text;
  return p;
}

/** The screen's heading, focusable so navigation can move the focus to it. */
export function heading(text: string): HTMLHeadingElement {
  const el = document.createElement("h1");
  el.textContent = text;
  el.tabIndex = -1;
  return el;
}
