// Asks authd to email a reset link, by email or by username (what has no '@' is a username). The
// answer is the same whether or not the account exists.
import { auth } from "../client.js";
import { form, h, statusLine } from "../dom.js";
import { heading, type Screen } from "../router.js";
import { currentTenant, tenantNote } from "../tenant.js";

export const forgotPasswordScreen: Screen = {
  title: "Forgot your password",
  render({ main }) {
    const status = statusLine();
    const f = form({
      label: "Ask for a reset link",
      fields: [{ name: "identifier", label: "Email or username", autocomplete: "username", required: true }],
      submit: "Email me a reset link",
      async onSubmit(v) {
        const identifier = (v.identifier ?? "").trim();
        await auth.requestPasswordReset(
          identifier.includes("@")
            ? { email: identifier, tenant: currentTenant() }
            : { username: identifier, tenant: currentTenant() },
        );
        status.say(`If ${identifier} has an account, a reset link is on its way to its email address.`);
      },
    });
    main.append(
      heading("Forgot your password"),
      ...tenantNote(),
      f.element,
      status,
      h("p", {}, h("a", { href: "/sign-in" }, "Back to sign in")),
    );
  },
};
