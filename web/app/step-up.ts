// Changes to factors, the email or the mobile of an account that has a second factor need a recent
// code from one of them (MfaService.StepUp). A guarded change that authd refuses for that reason
// shows a form asking for the code; the person then tries the change again.
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema, ErrorReason } from "../../gen/authd/v1/common_pb.js";
import type { Authenticator } from "../../gen/authd/v1/mfa_pb.js";
import { mfa } from "./client.js";
import { form, h, type statusLine } from "./dom.js";
import { factorName } from "./factor-names.js";
import { everyPage } from "./paging.js";

type Status = ReturnType<typeof statusLine>;
export type Guard = (change: () => Promise<void>) => Promise<void>;

/** authd says why in the error's ErrorInfo detail: branch on that, not on the message's wording. */
const needsStepUp = (error: unknown) =>
  ConnectError.from(error)
    .findDetails(ErrorInfoSchema)
    .some((info) => info.reason === ErrorReason.STEP_UP_REQUIRED);

/** A guard that shows the step-up form in `box` when authd asks for it. */
export function stepUpGuard(box: HTMLElement, status: Status): Guard {
  return async (change) => {
    try {
      await change();
    } catch (error) {
      if (!needsStepUp(error)) throw error;
      const active = await everyPage(async (pageToken) => {
        const res = await mfa.listAuthenticators({ verified: true, pageSize: 100, pageToken });
        return { items: res.authenticators, nextPageToken: res.nextPageToken };
      });
      box.replaceChildren(stepUpForm(active, status, box));
      box.querySelector("select")?.focus();
      throw new ConnectError(
        "Confirm with a code from one of your factors first, then try again.",
        Code.PermissionDenied,
      );
    }
  };
}

function stepUpForm(active: Authenticator[], status: Status, box: HTMLElement): HTMLElement {
  const choice = h(
    "select",
    { id: "step-up-factor" },
    ...active.map((a) => h("option", { value: a.id }, factorName(a))),
  );
  const f = form({
    label: "Confirm it is you",
    fields: [{ name: "code", label: "Code", autocomplete: "one-time-code", required: true }],
    submit: "Confirm it is you",
    errorField: () => "code",
    async onSubmit(v) {
      await mfa.stepUp({ authenticatorId: choice.value, code: v.code?.replaceAll(" ", "") });
      box.replaceChildren();
      status.say("Thank you. Now try the change again.");
    },
  });
  f.element.prepend(h("div", { class: "field" }, h("label", { for: "step-up-factor" }, "Factor"), choice));
  return h(
    "section",
    { "aria-labelledby": "step-up" },
    h("h2", { id: "step-up" }, "Confirm it is you"),
    h("p", {}, "This change needs a fresh code from one of your factors."),
    f.element,
  );
}
