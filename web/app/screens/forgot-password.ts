// Asks authd to email a reset link. The answer is the same whether or not the address has an account.
import { auth } from "../client.js";
import { form, h, statusLine } from "../dom.js";
import { heading, type Screen } from "../router.js";

export const forgotPasswordScreen: Screen = {
  title: "Forgot your password",
  render({ main }) {
    const status = statusLine();
    const f = form({
      label: "Ask for a reset link",
      fields: [{ name: "email", label: "Email", type: "email", autocomplete: "email", required: true }],
      submit: "Email me a reset link",
      async onSubmit(v) {
        await auth.requestPasswordReset({ email: v.email });
        status.say(`If ${v.email} has an account, a reset link is on its way.`);
      },
    });
    main.append(
      heading("Forgot your password"),
      f.element,
      status,
      h("p", {}, h("a", { href: "/sign-in" }, "Back to sign in")),
    );
  },
};
