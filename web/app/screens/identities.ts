// Linked accounts: the provider identities (OpenID Connect) that sign in to this account; unlink any
// of them (with the current password, and a recent second factor where the account has one). Linking
// is not done here: the app has no provider redirect flow, so an identity is linked by signing in
// with the provider in the application that uses authd (LinkIdentity needs a fresh ID token only
// that application holds).
import type { LinkedIdentity } from "../../../gen/authd/v1/auth_pb.js";
import { auth } from "../client.js";
import { h, recordTable, statusLine, when } from "../dom.js";
import { errorMessage } from "../errors.js";
import { heading, type Screen } from "../router.js";
import { stepUpGuard } from "../step-up.js";

export const identitiesScreen: Screen = {
  title: "Linked accounts",
  private: true,
  async render({ main }) {
    const status = statusLine();
    const list = h("div");
    const stepUpBox = h("div");
    const guarded = stepUpGuard(stepUpBox, status);
    const password = h("input", {
      id: "unlink-password",
      type: "password",
      autocomplete: "current-password",
      "aria-describedby": "unlink-password-hint",
    });
    main.append(
      heading("Linked accounts"),
      h(
        "p",
        {},
        "These accounts at other providers sign you in here. To link one, sign in with that provider " +
          "in the application that uses this account; it cannot be done from this page.",
      ),
      h(
        "div",
        { class: "field" },
        h("label", { for: "unlink-password" }, "Current password"),
        h("p", { id: "unlink-password-hint", class: "hint" }, "Unlinking an account needs your password."),
        password,
      ),
      list,
      stepUpBox,
      status,
    );
    const refresh = async () => {
      list.replaceChildren(table((await auth.listLinkedIdentities({})).identities, unlink));
    };
    // A refusal (the last way to sign in) is shown in the identity's own row, by its button.
    const unlink = async (identity: LinkedIdentity, row: IdentityRow) => {
      row.clearError();
      try {
        await guarded(async () => {
          await auth.unlinkIdentity({ identityId: identity.id, currentPassword: password.value });
        });
        await refresh();
        status.say(`${describe(identity)} is no longer linked.`);
      } catch (error) {
        row.showError(errorMessage(error));
      }
    };
    await refresh().catch((error) => status.say(errorMessage(error), "error"));
  },
};

interface IdentityRow {
  showError(message: string): void;
  clearError(): void;
}

function describe(identity: LinkedIdentity): string {
  return identity.email ? `${identity.provider} (${identity.email})` : identity.provider;
}

let rows = 0;

function table(
  identities: LinkedIdentity[],
  unlink: (identity: LinkedIdentity, row: IdentityRow) => void,
): HTMLElement {
  if (identities.length === 0) return h("p", {}, "No linked accounts.");
  const records = identities.map((identity) => {
    rows += 1;
    const errorId = `identity-${rows}-error`;
    const error = h("p", { id: errorId, class: "field-error", role: "alert", hidden: true });
    const button = h(
      "button",
      {
        type: "button",
        class: "danger",
        "aria-label": `Unlink ${describe(identity)}`,
        "aria-describedby": errorId,
      },
      "Unlink",
    );
    const row: IdentityRow = {
      showError(message) {
        error.textContent = message;
        error.hidden = false;
      },
      clearError() {
        error.hidden = true;
      },
    };
    button.addEventListener("click", () => unlink(identity, row));
    const action = h("div", {}, button, error);
    return [
      identity.provider,
      identity.email || "—",
      when(identity.createTime),
      when(identity.lastSignInTime),
      action,
    ];
  });
  return recordTable(
    "Your linked accounts",
    ["Provider", "Email", "Linked", "Last sign-in", "Action"],
    records,
  );
}
