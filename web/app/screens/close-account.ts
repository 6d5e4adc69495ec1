// Deactivating or deleting the account: each asks for the password, then authd emails a link that
// confirms it (the link lands on this app's confirm screens).
import { auth } from "../client.js";
import { form, h, statusLine } from "../dom.js";
import { heading, type Screen } from "../router.js";

export const closeAccountScreen: Screen = {
  title: "Close account",
  private: true,
  render({ main }) {
    const status = statusLine();
    const password = {
      name: "current_password",
      label: "Current password",
      type: "password",
      autocomplete: "current-password",
      required: true,
    };
    const deactivate = form({
      label: "Deactivate the account",
      fields: [password],
      submit: "Email me a deactivation link",
      danger: true,
      async onSubmit(v, handle) {
        await auth.requestDeactivation({ currentPassword: v.current_password });
        handle.element.reset();
        status.say("We emailed you a link. Open it to confirm the deactivation.");
      },
    });
    const remove = form({
      label: "Delete the account",
      fields: [password],
      submit: "Email me a deletion link",
      danger: true,
      async onSubmit(v, handle) {
        await auth.requestDeletion({ currentPassword: v.current_password });
        handle.element.reset();
        status.say("We emailed you a link. Open it to confirm the deletion.");
      },
    });
    main.append(
      heading("Close your account"),
      status,
      h("h2", {}, "Deactivate"),
      h("p", {}, "Sign-in stops working and every session and API key ends. Your data stays."),
      deactivate.element,
      h("h2", {}, "Delete"),
      h("p", {}, "Your account and its personal data are erased. This cannot be undone."),
      remove.element,
    );
  },
};
