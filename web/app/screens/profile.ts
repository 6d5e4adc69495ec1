// The profile: names, language and time zone change freely; the username needs the current password,
// the email and the mobile number the password and, with a second factor, a recent code from it; a
// new mobile number is confirmed with a texted code.
import { auth, mfa } from "../client.js";
import { form, h, statusLine, when } from "../dom.js";
import { errorMessage } from "../errors.js";
import { heading, type Screen } from "../router.js";
import { stepUpGuard } from "../step-up.js";

export const profileScreen: Screen = {
  title: "Profile",
  private: true,
  render(view) {
    const { main, user } = view;
    const status = statusLine();
    const stepUpBox = h("div");
    const guarded = stepUpGuard(stepUpBox, status);
    const f = form({
      label: "Profile",
      fields: [
        {
          name: "email",
          label: "Email",
          type: "email",
          autocomplete: "email",
          value: user.email,
          required: true,
        },
        { name: "username", label: "Username", autocomplete: "username", value: user.username },
        { name: "first_name", label: "First name", autocomplete: "given-name", value: user.firstName },
        { name: "last_name", label: "Last name", autocomplete: "family-name", value: user.lastName },
        {
          name: "mobile",
          label: "Mobile number",
          type: "tel",
          autocomplete: "tel",
          value: user.mobile,
          hint: "In international form, for example +61 491 570 006.",
        },
        { name: "language", label: "Language", value: user.language, hint: "For example en-GB." },
        { name: "timezone", label: "Time zone", value: user.timezone, hint: "For example Europe/Paris." },
        {
          name: "birth_date",
          label: "Date of birth",
          type: "date",
          autocomplete: "bday",
          value: user.birthDate,
        },
        { name: "job_title", label: "Job title", autocomplete: "organization-title", value: user.jobTitle },
        { name: "department", label: "Department", value: user.department },
        {
          name: "avatar_url",
          label: "Picture URL",
          type: "url",
          value: user.avatarUrl,
          hint: "An https address of an image.",
        },
        {
          name: "current_password",
          label: "Current password",
          type: "password",
          autocomplete: "current-password",
          hint: "Needed only to change the email, the mobile number or the username.",
        },
      ],
      submit: "Save profile",
      async onSubmit(v) {
        const changed = (key: string, was: string) => (v[key] !== was ? v[key] : undefined);
        let res: Awaited<ReturnType<typeof auth.updateCurrentUser>> | undefined;
        await guarded(async () => {
          res = await auth.updateCurrentUser({
            email: changed("email", user.email),
            username: changed("username", user.username),
            firstName: changed("first_name", user.firstName),
            lastName: changed("last_name", user.lastName),
            mobile: changed("mobile", user.mobile),
            language: changed("language", user.language),
            timezone: changed("timezone", user.timezone),
            birthDate: changed("birth_date", user.birthDate),
            jobTitle: changed("job_title", user.jobTitle),
            department: changed("department", user.department),
            avatarUrl: changed("avatar_url", user.avatarUrl),
            currentPassword: v.current_password,
          });
        });
        const emailChanged = v.email !== user.email;
        const mobileChanged = v.mobile !== user.mobile && v.mobile !== "";
        if (res?.user) Object.assign(user, res.user);
        // authd does not text the new number by itself: ask for the code now.
        if (mobileChanged) await mfa.resendMobileVerification({});
        f.input("current_password").value = "";
        status.say(
          [
            "Saved.",
            emailChanged ? `Confirm ${v.email} with the link we sent; until then the old address stays.` : "",
            mobileChanged ? `We texted a code to ${v.mobile}.` : "",
          ]
            .filter(Boolean)
            .join(" "),
        );
        renderMobile();
      },
    });
    const mobileBox = h("section", { "aria-labelledby": "mobile-heading" });
    const renderMobile = () => {
      mobileBox.replaceChildren();
      if (!user.mobile || user.mobileVerified) return;
      mobileBox.append(h("h2", { id: "mobile-heading" }, "Confirm your mobile number"), mobileForm(status));
    };
    renderMobile();
    main.append(
      heading("Profile"),
      h(
        "p",
        {},
        `Email ${user.emailVerified ? "verified" : "not verified yet"}. Last signed in: ${when(user.lastSignInTime)}.`,
      ),
      f.element,
      status,
      stepUpBox,
      mobileBox,
    );
  },
};

function mobileForm(status: ReturnType<typeof statusLine>): HTMLElement {
  const f = form({
    label: "Confirm your mobile number",
    fields: [
      { name: "code", label: "Code from the text message", autocomplete: "one-time-code", required: true },
    ],
    submit: "Confirm mobile number",
    errorField: () => "code",
    async onSubmit(v) {
      await mfa.verifyMobile({ code: v.code });
      f.element.parentElement?.replaceChildren();
      status.say("Your mobile number is confirmed.");
    },
  });
  const resend = h("button", { type: "button", class: "secondary" }, "Send a new code");
  resend.addEventListener("click", () =>
    mfa.resendMobileVerification({}).then(
      () => status.say("A new code is on its way."),
      (e) => status.say(errorMessage(e), "error"),
    ),
  );
  return h("div", {}, f.element, resend);
}
