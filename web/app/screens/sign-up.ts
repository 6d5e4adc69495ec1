// Registration. authd answers the same whether or not the address is taken, so the screen always
// says to check the inbox, and offers to send the link again.
import { auth } from "../client.js";
import { form, h, statusLine } from "../dom.js";
import { errorMessage } from "../errors.js";
import { heading, type Screen } from "../router.js";
import { currentTenant, tenantNote } from "../tenant.js";

export const signUpScreen: Screen = {
  title: "Create an account",
  render({ main }) {
    const status = statusLine();
    const f = form({
      label: "Create an account",
      fields: [
        { name: "email", label: "Email", type: "email", autocomplete: "email", required: true },
        {
          name: "password",
          label: "Password",
          type: "password",
          autocomplete: "new-password",
          required: true,
          hint: "8 to 128 characters. A phrase of a few words is easy to remember and hard to guess.",
        },
        { name: "username", label: "Username (optional)", autocomplete: "username" },
        { name: "first_name", label: "First name (optional)", autocomplete: "given-name" },
        { name: "last_name", label: "Last name (optional)", autocomplete: "family-name" },
      ],
      submit: "Create account",
      async onSubmit(v, handle) {
        await auth.register({
          tenant: currentTenant(),
          email: v.email,
          password: v.password,
          username: v.username,
          firstName: v.first_name,
          lastName: v.last_name,
          language: browserLanguage(),
          timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
        });
        handle.element.replaceWith(checkInbox(v.email ?? "", status));
        status.say(`We sent a verification link to ${v.email}. Open it to activate your account.`);
      },
    });
    main.append(
      heading("Create an account"),
      ...tenantNote(),
      f.element,
      status,
      h("p", {}, "Already have an account? ", h("a", { href: "/sign-in" }, "Sign in")),
    );
  },
};

/** The language tags authd accepts (src/domain/accounts/validation.ts). */
const LANGUAGE_TAG = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

/**
 * The browser's preferred language as a tag authd accepts, or "" (authd's default): a browser
 * started under the POSIX locale says "en-US@posix", which authd refuses, and the person would be
 * told about a field they never saw.
 */
function browserLanguage(): string {
  for (const preferred of navigator.languages ?? [navigator.language]) {
    const tag = (preferred.split(/[@.]/)[0] ?? "").replaceAll("_", "-");
    if (tag.length <= 35 && LANGUAGE_TAG.test(tag)) return tag;
  }
  return "";
}

function checkInbox(email: string, status: ReturnType<typeof statusLine>): HTMLElement {
  const resend = h("button", { type: "button", class: "secondary" }, "Send the link again");
  resend.addEventListener("click", async () => {
    resend.disabled = true;
    try {
      await auth.resendVerificationEmail({ email, tenant: currentTenant() });
      status.say(`A new link is on its way to ${email}; earlier links no longer work.`);
    } catch (error) {
      status.say(errorMessage(error), "error");
    } finally {
      resend.disabled = false;
    }
  });
  return h("div", {}, h("p", {}, "Check your inbox."), resend);
}
