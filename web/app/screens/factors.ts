import { SessionScope } from "../../../gen/authd/v1/common_pb.js";
import { type Authenticator, AuthenticatorType } from "../../../gen/authd/v1/mfa_pb.js";
import { mfa } from "../client.js";
import { type FieldSpec, form, h, recordTable, statusLine, when } from "../dom.js";
import { codeError, errorMessage } from "../errors.js";
import { factorName } from "../factor-names.js";
import { everyPage } from "../paging.js";
import { heading, type Screen } from "../router.js";
import { type Guard, stepUpGuard } from "../step-up.js";

type Status = ReturnType<typeof statusLine>;

const PASSWORD: FieldSpec = {
  name: "current_password",
  label: "Current password",
  type: "password",
  autocomplete: "current-password",
  required: true,
};

export const factorsScreen: Screen = {
  title: "Second factors",
  private: true,
  async render({ main }) {
    const status = statusLine();
    const list = h("section", { "aria-labelledby": "factors-list" });
    const work = h("section", { "aria-labelledby": "factors-add" });
    const stepUpBox = h("div");
    main.append(heading("Second factors"), status, list, stepUpBox, work);

    let factors: Authenticator[] = [];
    const refresh = async () => {
      factors = await everyPage(async (pageToken) => {
        const res = await mfa.listAuthenticators({ pageSize: 100, pageToken });
        return { items: res.authenticators, nextPageToken: res.nextPageToken };
      });
      list.replaceChildren(h("h2", { id: "factors-list" }, "Your factors"), factorTable(factors, remove));
    };

    /** Runs a factor change; when authd wants a recent second factor first, asks for it. */
    const guarded = stepUpGuard(stepUpBox, status);

    const remove = (a: Authenticator) => {
      const f = form({
        label: `Remove ${factorName(a)}`,
        fields: [
          PASSWORD,
          { name: "sign_out_others", label: "Sign out my other sessions", type: "checkbox" },
        ],
        submit: `Remove ${factorName(a)}`,
        danger: true,
        async onSubmit(v) {
          await mfa.deleteAuthenticator({
            authenticatorId: a.id,
            proof: { case: "currentPassword", value: v.current_password ?? "" },
            endSessions: v.checked.sign_out_others ? SessionScope.OTHERS : SessionScope.NONE,
          });
          work.replaceChildren();
          await refresh();
          status.say(`${factorName(a)} is removed.`);
        },
      });
      work.replaceChildren(h("h2", { id: "factors-add" }, `Remove ${factorName(a)}`), f.element);
      f.input("current_password").focus();
    };

    const adders: [string, AuthenticatorType, FieldSpec[]][] = [
      ["Authenticator app", AuthenticatorType.TOTP, []],
      [
        "Text message",
        AuthenticatorType.SMS,
        [
          {
            name: "mobile",
            label: "Mobile number",
            type: "tel",
            autocomplete: "tel",
            required: true,
            hint: "For example +61 491 570 006.",
          },
        ],
      ],
      ["Email", AuthenticatorType.EMAIL, []],
      ["Recovery codes", AuthenticatorType.RECOVERY_CODES, []],
    ];
    const menu = h("ul", { class: "actions" });
    for (const [label, type, extra] of adders) {
      const button = h("button", { type: "button", class: "secondary" }, `Add: ${label}`);
      button.addEventListener("click", () => {
        const f = form({
          label: `Add ${label}`,
          fields: [...extra, PASSWORD],
          submit: `Start adding ${label}`,
          async onSubmit(v) {
            const password = v.current_password ?? "";
            await guarded(async () => {
              const created = await mfa.createAuthenticator({
                type,
                mobile: v.mobile ?? "",
                currentPassword: password,
              });
              work.replaceChildren(
                h("h2", { id: "factors-add" }, `Add ${label}`),
                ...enrolment(created, password, status, refresh, guarded),
              );
              work.querySelector<HTMLElement>("input, a[download]")?.focus();
            });
            await refresh();
          },
        });
        work.replaceChildren(h("h2", { id: "factors-add" }, `Add ${label}`), f.element);
        f.input(extra[0]?.name ?? "current_password").focus();
      });
      menu.append(h("li", {}, button));
    }
    const addSection = h(
      "section",
      { "aria-labelledby": "factors-new" },
      h("h2", { id: "factors-new" }, "Add a factor"),
      menu,
    );
    work.before(addSection);
    try {
      await refresh();
    } catch (error) {
      status.say(errorMessage(error), "error");
    }
  },
};

function factorTable(factors: Authenticator[], remove: (a: Authenticator) => void): HTMLElement {
  if (factors.length === 0) return h("p", {}, "No second factor yet: sign-in asks only for your password.");
  const records = factors.map((a) => {
    const button = h("button", { type: "button", class: "danger" }, "Remove");
    button.setAttribute("aria-label", `Remove ${factorName(a)}`);
    button.addEventListener("click", () => remove(a));
    return [
      factorName(a),
      a.active ? "Active" : "Waiting for its first code",
      a.type === AuthenticatorType.RECOVERY_CODES ? `${a.remainingCodes} codes left` : "—",
      when(a.lastUsedTime),
      button,
    ];
  });
  return recordTable("Your second factors", ["Factor", "State", "Details", "Last used", "Action"], records);
}

/** What finishing an enrolment takes: scan and confirm a code, or save the recovery codes. */
function enrolment(
  created: Awaited<ReturnType<typeof mfa.createAuthenticator>>,
  password: string,
  status: Status,
  refresh: () => Promise<void>,
  guarded: Guard,
): Node[] {
  const a = created.authenticator;
  if (!a) return [];
  if (a.type === AuthenticatorType.RECOVERY_CODES) {
    const text = `authd recovery codes\nEach code works once.\n\n${created.recoveryCodes.join("\n")}\n`;
    const download = h(
      "a",
      {
        href: URL.createObjectURL(new Blob([text], { type: "text/plain" })),
        download: "authd-recovery-codes.txt",
        class: "button",
      },
      "Download the codes",
    );
    status.say("Your recovery codes are ready. They are shown only now.");
    return [
      h(
        "p",
        {},
        "Keep these codes somewhere safe. Each one signs you in once if you lose your other factors.",
      ),
      h(
        "ul",
        { class: "codes", "aria-label": "Recovery codes" },
        ...created.recoveryCodes.map((c) => h("li", {}, h("code", {}, c))),
      ),
      download,
    ];
  }
  const intro: Node[] = [];
  if (a.type === AuthenticatorType.TOTP) {
    intro.push(
      h("p", {}, "Scan this QR code with your authenticator app, or type the key below into it."),
      h("img", {
        src: created.totpQrCode,
        alt: "QR code of your authenticator key",
        class: "qr",
        width: "200",
        height: "200",
      }),
      h("p", {}, "Key: ", h("code", { id: "totp-secret", class: "secret" }, created.totpSecret)),
    );
  } else {
    intro.push(h("p", {}, `We sent a code to ${a.destinationHint}.`));
  }
  const f = form({
    label: "Confirm the new factor",
    fields: [
      { name: "code", label: "Code", autocomplete: "one-time-code", required: true },
      { name: "sign_out_others", label: "Sign out my other sessions", type: "checkbox" },
    ],
    submit: "Confirm",
    errorField: codeError,
    async onSubmit(v) {
      await guarded(async () => {
        await mfa.verifyAuthenticator({
          authenticatorId: a.id,
          code: v.code?.replaceAll(" ", ""),
          endSessions: v.checked.sign_out_others ? SessionScope.OTHERS : SessionScope.NONE,
          currentPassword: password,
        });
      });
      f.element.parentElement?.replaceChildren();
      await refresh();
      status.say(`${factorName(a)} is active. Sign-in will ask for it.`);
    },
  });
  return [...intro, f.element];
}
