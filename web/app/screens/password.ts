// Changing the password: the current one first (ASVS 6.2.3), and an offer to end the other sessions.
import { SessionScope } from "../../../gen/authd/v1/common_pb.js";
import { auth } from "../client.js";
import { form, statusLine } from "../dom.js";
import { heading, type Screen } from "../router.js";

export const passwordScreen: Screen = {
  title: "Password",
  private: true,
  render({ main }) {
    const status = statusLine();
    const f = form({
      label: "Change password",
      fields: [
        {
          name: "current_password",
          label: "Current password",
          type: "password",
          autocomplete: "current-password",
          required: true,
        },
        {
          name: "new_password",
          label: "New password",
          type: "password",
          autocomplete: "new-password",
          required: true,
          hint: "8 to 128 characters; not a common password.",
        },
        {
          name: "confirm_password",
          label: "Type it again",
          type: "password",
          autocomplete: "new-password",
          required: true,
        },
        { name: "sign_out_others", label: "Sign out my other sessions", type: "checkbox", checked: true },
      ],
      submit: "Change password",
      async onSubmit(v, handle) {
        if (v.new_password !== v.confirm_password) {
          handle.fieldError("confirm_password", "The two passwords are not the same.");
          return;
        }
        await auth.changePassword({
          currentPassword: v.current_password,
          newPassword: v.new_password,
          endSessions: v.checked.sign_out_others ? SessionScope.OTHERS : SessionScope.NONE,
        });
        handle.element.reset();
        status.say("Your password is changed. We emailed you about it.");
      },
    });
    main.append(heading("Change your password"), f.element, status);
  },
};
