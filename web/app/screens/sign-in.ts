// Sign-in in two steps: the password, then a second factor when the account has one. Tokens come
// back as HttpOnly cookies (AUTH_METHOD_COOKIE); the page never holds them. So does the device token
// of "remember this device": authd keeps it in its own HttpOnly cookie and reads it back at Login.
import { Code } from "@connectrpc/connect";
import { AuthMethod } from "../../../gen/authd/v1/common_pb.js";
import { AuthenticatorType, type MfaChallenge } from "../../../gen/authd/v1/mfa_pb.js";
import { auth, mfa } from "../client.js";
import { form, h, statusLine } from "../dom.js";
import { codeError, errorMessage } from "../errors.js";
import { factorName } from "../factor-names.js";
import { heading, type Screen, type View } from "../router.js";
import { currentTenant, tenantNote } from "../tenant.js";

export const signInScreen: Screen = {
  title: "Sign in",
  render(view) {
    const { main } = view;
    const f = form({
      label: "Sign in",
      fields: [
        { name: "identifier", label: "Email or username", autocomplete: "username", required: true },
        {
          name: "password",
          label: "Password",
          type: "password",
          autocomplete: "current-password",
          required: true,
        },
      ],
      submit: "Sign in",
      // authd answers every failed sign-in alike ("invalid credentials"): shown at the password.
      errorField: (e) => (e.code === Code.Unauthenticated ? "password" : undefined),
      async onSubmit(v) {
        const res = await auth.login({
          identifier: v.identifier,
          password: v.password,
          tenant: currentTenant(),
          authMethod: AuthMethod.COOKIE,
        });
        if (res.result.case === "mfaChallenge") secondStep(view, res.result.value);
        else view.go("/account");
      },
    });
    main.append(
      heading("Sign in"),
      ...tenantNote(),
      f.element,
      h(
        "p",
        {},
        h("a", { href: "/forgot-password" }, "Forgot your password?"),
        " · ",
        h("a", { href: "/sign-up" }, "Create an account"),
      ),
    );
  },
};

function secondStep(view: View, challenge: MfaChallenge): void {
  const { main } = view;
  const status = statusLine();
  const factors = challenge.authenticators;
  let chosen = factors[0];
  const choice = h("fieldset", {}, h("legend", {}, "Use"));
  factors.forEach((a, i) => {
    const id = `factor-${i}`;
    const radio = h("input", { type: "radio", name: "factor", id, value: a.id, checked: i === 0 });
    radio.addEventListener("change", () => {
      chosen = a;
      updateSend();
    });
    choice.append(h("div", { class: "field checkbox" }, radio, h("label", { for: id }, factorName(a))));
  });
  const send = h("button", { type: "button", class: "secondary" }, "Send me a code");
  const updateSend = () => {
    send.hidden = chosen?.type !== AuthenticatorType.SMS && chosen?.type !== AuthenticatorType.EMAIL;
  };
  updateSend();
  send.addEventListener("click", async () => {
    if (!chosen) return;
    send.disabled = true;
    try {
      await mfa.deliverChallenge({ challengeId: challenge.challengeId, authenticatorId: chosen.id });
      status.say("The code is on its way.");
    } catch (error) {
      status.say(errorMessage(error), "error");
    } finally {
      send.disabled = false;
    }
  });
  const f = form({
    label: "Second factor",
    fields: [
      { name: "code", label: "Code", autocomplete: "one-time-code", inputmode: "text", required: true },
      {
        name: "remember_device",
        label: "Remember this device",
        type: "checkbox",
        hint: "Skip the second factor on this device next time; the password is still asked.",
      },
    ],
    submit: "Verify",
    errorField: codeError,
    async onSubmit(v) {
      if (!chosen) return;
      await mfa.verifyChallenge({
        challengeId: challenge.challengeId,
        authenticatorId: chosen.id,
        code: v.code?.replaceAll(" ", ""),
        rememberDevice: v.checked.remember_device,
      });
      view.go("/account");
    },
  });
  main.replaceChildren(
    heading("Second factor"),
    h("p", {}, "Your account has a second factor. Enter a code from one of them."),
    factors.length > 1 ? choice : h("p", {}, `Using: ${chosen ? factorName(chosen) : "—"}`),
    send,
    f.element,
    status,
    h("p", {}, h("a", { href: "/sign-in" }, "Start over")),
  );
  main.querySelector("h1")?.focus();
}
