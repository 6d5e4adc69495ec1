// The screens behind the links authd emails: verify an address, reset a password, confirm a
// deactivation or a deletion. Each acts only on a click, never on load, because mail scanners open
// links and would otherwise use the single-use token up. The token leaves the address bar at once.
import { auth } from "../client.js";
import { form, h, statusLine } from "../dom.js";
import { errorMessage } from "../errors.js";
import { heading, type Screen, type View } from "../router.js";

/** Takes the token out of the address bar, the history and any later Referer. */
function takeToken(): string {
  const token = new URLSearchParams(location.search).get("token") ?? "";
  if (location.search !== "") history.replaceState(null, "", location.pathname);
  return token;
}

const NO_TOKEN = "This link has no token. Open the link from the email again.";

/**
 * Sends the user on to the answer's continue_url, when it has one: the app that asked for the link
 * named it, and authd checked it against its allow-list then and again now. The continue_url in the
 * address bar is never followed (anyone can write one into a link); only the answer's is.
 */
function continueTo(answer: unknown, after: Element): boolean {
  const url = (answer as { continueUrl?: string } | undefined)?.continueUrl ?? "";
  if (!/^https?:\/\//i.test(url)) return false;
  after.after(h("p", {}, h("a", { href: url }, "Continue")));
  location.assign(url);
  return true;
}

function confirmScreen(options: {
  title: string;
  intro: string;
  button: string;
  danger?: boolean;
  call(token: string): Promise<unknown>;
  done: string;
  next?: { href: string; text: string };
}): Screen {
  return {
    title: options.title,
    render({ main }: View) {
      const token = takeToken();
      const status = statusLine();
      main.append(heading(options.title), status);
      if (token === "") return status.say(NO_TOKEN, "error");
      const button = h(
        "button",
        { type: "button", class: options.danger ? "danger" : undefined },
        options.button,
      );
      status.before(h("p", {}, options.intro), button);
      button.addEventListener("click", async () => {
        button.disabled = true;
        try {
          const answer = await options.call(token);
          button.remove();
          status.say(options.done);
          if (continueTo(answer, status)) return;
          if (options.next) status.after(h("p", {}, h("a", { href: options.next.href }, options.next.text)));
        } catch (error) {
          button.disabled = false;
          status.say(errorMessage(error), "error");
        }
      });
    },
  };
}

const resetPassword: Screen = {
  title: "Choose a new password",
  async render({ main }: View) {
    const token = takeToken();
    const status = statusLine();
    main.append(heading("Choose a new password"), status);
    if (token === "") return status.say(NO_TOKEN, "error");
    const { valid } = await auth.checkPasswordResetToken({ token }).catch(() => ({ valid: false }));
    if (!valid) {
      status.say("This link is invalid, has expired, or was already used. Ask for a new one.", "error");
      status.after(h("p", {}, h("a", { href: "/forgot-password" }, "Ask for a new link")));
      return;
    }
    const f = form({
      label: "Password reset",
      fields: [
        {
          name: "new_password",
          label: "New password",
          type: "password",
          autocomplete: "new-password",
          required: true,
          hint: "8 to 128 characters; a phrase of a few words is easy to remember and hard to guess.",
        },
        {
          name: "confirm_password",
          label: "Type it again",
          type: "password",
          autocomplete: "new-password",
          required: true,
        },
      ],
      submit: "Set the new password",
      async onSubmit(values, handle) {
        if (values.new_password !== values.confirm_password) {
          handle.fieldError("confirm_password", "The two passwords are not the same.");
          return;
        }
        const answer = await auth.resetPassword({ token, newPassword: values.new_password });
        handle.element.remove();
        status.say("Your password is changed and every session was signed out. You can sign in now.");
        if (continueTo(answer, status)) return;
        status.after(h("p", {}, h("a", { href: "/sign-in" }, "Sign in")));
      },
    });
    status.before(f.element);
  },
};

export const linkScreens: Record<string, Screen> = {
  "/verify-email": confirmScreen({
    title: "Verify your email address",
    intro: "Confirm that this address is yours.",
    button: "Verify my email",
    call: (token) => auth.verifyEmail({ token }),
    done: "Your email address is verified. You can sign in now.",
    next: { href: "/sign-in", text: "Sign in" },
  }),
  "/reset-password": resetPassword,
  "/confirm-deactivation": confirmScreen({
    title: "Deactivate your account",
    intro: "You will be signed out everywhere and will not be able to sign in.",
    button: "Deactivate my account",
    danger: true,
    call: (token) => auth.confirmDeactivation({ token }),
    done: "Your account is deactivated.",
  }),
  "/confirm-deletion": confirmScreen({
    title: "Delete your account",
    intro: "Your account and its personal data will be erased. This cannot be undone.",
    button: "Delete my account permanently",
    danger: true,
    call: (token) => auth.confirmDeletion({ token }),
    done: "Your account is deleted.",
  }),
};
